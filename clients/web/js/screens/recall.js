// Game recall (GLI-19): one of the player's rounds replayed from the server's record, with
// what went in, the proof (the server seed once revealed), the outcome drawn, the balances
// before and after, and the verdict of verifying it, by the server and again in this page.

import { el, replace, notify, timeText } from "../ui.js";
import { formatAmount } from "../money.js";
import { api } from "../http.js";
import { session } from "../session.js";
import { outcomeNode } from "../outcome.js";
import { proofList, showVerdict } from "../proof.js";

const SERVER_VERDICT = {
  match: "MATCH",
  "seed-mismatch": "SEED MISMATCH",
  "outcome-mismatch": "OUTCOME MISMATCH",
  "not-revealed": "seed still secret",
  "not-found": "no outcome",
};

function figures(round) {
  const row = (label, minor, name) => [
    el("dt", {}, label),
    el("dd", { class: "num", dataset: { field: name, minor: String(minor) } }, formatAmount(minor, round.currency)),
  ];
  return el(
    "dl",
    { class: "proof recall-figures" },
    row("Stake", round.stake, "stake"),
    row("Win", round.payout, "payout"),
    row("Balance before", round.balance_before, "balance_before"),
    row("Balance after", round.balance_after, "balance_after"),
  );
}

function verification(round) {
  const checked = round.verification;
  const here = el("div", { class: "verify" });
  if (round.proof.server_seed) {
    const button = el("button", { type: "button", class: "secondary", id: "recall-verify" }, "Verify in this page");
    button.addEventListener("click", () => showVerdict(here, round, round.proof.server_seed));
    replace(here, button);
  } else {
    replace(here, el("small", {}, "The server seed is still secret: rotate it on "), el("a", { href: "#/fair" }, "Fair play"), el("small", {}, " to reveal it."));
  }
  return el(
    "div",
    {},
    el(
      "p",
      { class: "meta" },
      "Server's check: ",
      el("span", { class: `verdict ${checked.verdict}`, id: "server-verdict", dataset: { verdict: checked.verdict } }, SERVER_VERDICT[checked.verdict] || checked.verdict),
    ),
    here,
  );
}

export async function renderRecall(container, { roundId, games }) {
  const names = new Map(games.map((game) => [game.id, game.name]));
  const body = el("div", { class: "recall", "aria-busy": "true" });
  replace(
    container,
    el(
      "section",
      { class: "panel history" },
      el("div", { class: "game-head" }, el("h1", {}, "Round recall"), el("a", { href: "#/history" }, "Back to history")),
      body,
    ),
  );
  try {
    const round = await api("GET", `/api/rounds/${encodeURIComponent(roundId)}`, { token: session.token });
    replace(
      body,
      el(
        "p",
        { class: "meta", id: "recall-title", dataset: { roundId: round.round_id, status: round.status } },
        `${names.get(round.game) || round.game}, ${timeText(round.settled_at)}`,
        round.status !== "settled" ? ` (${round.status})` : "",
      ),
      figures(round),
      el("h2", {}, "What you played"),
      el("pre", { class: "mono recall-inputs" }, JSON.stringify(round.inputs, null, 1)),
      el("h2", {}, "Outcome"),
      el("div", { class: "round-outcome" }, outcomeNode(round)),
      el("h2", {}, "Proof"),
      proofList(round),
      round.proof.server_seed
        ? el("p", { class: "meta" }, "Server seed ", el("span", { class: "mono", id: "recall-seed" }, round.proof.server_seed))
        : null,
      verification(round),
    );
  } catch (error) {
    replace(body, el("p", { class: "empty" }, error.message));
    notify(error.message, "error");
  } finally {
    body.setAttribute("aria-busy", "false");
  }
}
