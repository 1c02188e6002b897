// The player's settled rounds: stake, win, balance before and after; open one for its
// outcome and provably fair proof, or recall it whole (screens/recall.js). One game's rounds
// alone with the game filter: the last rounds of each game stay in reach.

import { el, replace, notify, timeText, busy } from "../ui.js";
import { formatAmount } from "../money.js";
import { session } from "../session.js";
import { api } from "../http.js";
import { outcomeNode } from "../outcome.js";
import { proofList, verifyControl } from "../proof.js";
import { allRounds, download, exportDocument } from "../round-export.js";

function detail(round) {
  return el(
    "div",
    { class: "round-detail" },
    el("div", { class: "round-outcome" }, outcomeNode(round)),
    el(
      "div",
      {},
      proofList(round),
      verifyControl(round),
      el(
        "p",
        { class: "meta" },
        `Balance ${formatAmount(round.balance_before, round.currency)} → ${formatAmount(round.balance_after, round.currency)}`,
      ),
      el("a", { href: `#/recall/${encodeURIComponent(round.round_id)}`, class: "recall-link" }, "Recall this round"),
    ),
  );
}

function roundRow(round, names) {
  const net = round.payout - round.stake;
  const header = el(
    "button",
    { type: "button", class: "round-row", "aria-expanded": "false" },
    el("span", { class: "when" }, timeText(round.settled_at)),
    el(
      "span",
      { class: "what" },
      names.get(round.game) || round.game,
      round.status !== "settled" ? ` (${round.status})` : "",
    ),
    el("span", { class: "num" }, formatAmount(round.stake, round.currency)),
    el(
      "span",
      { class: `num ${net > 0 ? "plus" : ""}` },
      round.payout ? formatAmount(round.payout, round.currency) : "–",
    ),
    el("span", { class: "num balance-after" }, formatAmount(round.balance_after, round.currency)),
  );
  const item = el("li", { class: "round", dataset: { roundId: round.round_id, game: round.game } }, header);
  header.addEventListener("click", () => {
    const open = header.getAttribute("aria-expanded") === "true";
    header.setAttribute("aria-expanded", String(!open));
    if (open) item.querySelector(".round-detail")?.remove();
    else item.append(detail(round));
  });
  return item;
}

async function load(list, names, game) {
  list.setAttribute("aria-busy", "true");
  try {
    const reply = game
      ? await api("GET", `/api/rounds?game=${encodeURIComponent(game)}&limit=50`, { token: session.token })
      : await session.request("history", { limit: 50 });
    replace(
      list,
      reply.rounds.length
        ? reply.rounds.map((round) => roundRow(round, names))
        : el("li", { class: "empty" }, "No rounds yet: play a game from the lobby."),
    );
  } catch (error) {
    notify(error.message, "error");
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

function exportControl() {
  const button = el("button", { type: "button", class: "secondary small", id: "export-rounds" }, "Export my rounds (JSON)");
  button.addEventListener("click", () =>
    busy(button, async () => {
      download(exportDocument(await allRounds(), session.revealedSeeds));
    }),
  );
  return el(
    "p",
    { class: "meta export" },
    button,
    " Every round with its proof, and the server seeds revealed in this page, for the ",
    el("a", { href: "verify.html", target: "_blank", rel: "noopener" }, "stand-alone verifier"),
    ".",
  );
}

export async function renderHistory(container, { games }) {
  const names = new Map(games.map((game) => [game.id, game.name]));
  const list = el("ol", { class: "rounds", "aria-busy": "true" });
  const filter = el(
    "select",
    { id: "history-game", "aria-label": "Game" },
    el("option", { value: "" }, "All games"),
    games.filter((game) => game.provider === "house").map((game) => el("option", { value: game.id }, game.name)),
  );
  filter.addEventListener("change", () => load(list, names, filter.value));
  replace(
    container,
    el(
      "section",
      { class: "panel history" },
      el(
        "div",
        { class: "game-head" },
        el("h1", {}, "History"),
        el("p", { class: "meta" }, "Your last 50 rounds, newest first. Open one for its proof."),
        filter,
      ),
      exportControl(),
      el(
        "div",
        { class: "round-row heading", "aria-hidden": "true" },
        el("span", {}, "Time"),
        el("span", {}, "Game"),
        el("span", { class: "num" }, "Stake"),
        el("span", { class: "num" }, "Win"),
        el("span", { class: "num" }, "Balance"),
      ),
      list,
    ),
  );
  await load(list, names, "");
}
