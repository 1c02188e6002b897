// The lobby: the balance with the sandbox cashier, and a tile for every game.

import { el, replace, notify } from "../ui.js";
import { formatAmount, formatMoney, parseMoney } from "../money.js";
import { session } from "../session.js";
import { symbolNode } from "../symbols.js";
import { handNode } from "../cards.js";
import { clearRefusal, showRefusal } from "../refusals.js";

const KIND_TEXT = { slot: "Slot", table: "Table game" };

function art(game) {
  if (game.id === "classic-sevens") return el("div", { class: "art" }, ["7", "7", "7"].map(symbolNode));
  if (game.id === "crown-jewels")
    return el("div", { class: "art" }, ["CROWN", "WILD", "RUBY"].map(symbolNode));
  if (game.id === "european-roulette") return el("div", { class: "art" }, el("div", { class: "mini-wheel" }));
  if (game.id === "blackjack") return el("div", { class: "art" }, handNode(["AS", "KH"]));
  if (game.id === "punto-banco") return el("div", { class: "art" }, handNode(["9D", "QC"]));
  return el("div", { class: "art" });
}

function tile(game, currency) {
  return el(
    "a",
    { class: "game-tile", href: `#/game/${encodeURIComponent(game.id)}`, dataset: { game: game.id } },
    art(game),
    el("h3", {}, game.name),
    el(
      "p",
      { class: "meta" },
      `${KIND_TEXT[game.kind] || game.kind} · RTP ${game.rtp} % · ${game.volatility} volatility`,
    ),
    el(
      "p",
      { class: "meta" },
      `Stakes ${formatMoney(game.min_stake, currency)} – ${formatAmount(game.max_stake, currency)}`,
    ),
  );
}

/** The sandbox deposit form, used by the lobby and the cashier. */
export function cashier() {
  const currency = session.currency;
  const amount = el("input", {
    name: "amount",
    inputmode: "decimal",
    value: "100.00",
    "aria-label": "deposit amount",
    size: 8,
  });
  const submit = el("button", { type: "submit", class: "primary" }, "Deposit");
  const form = el(
    "form",
    { class: "cashier", id: "deposit-form", "data-sandbox-only": true },
    el("span", { class: "label" }, "Sandbox deposit"),
    ...[1000, 5000, 10000].map((minor) =>
      el(
        "button",
        {
          type: "button",
          class: "chip-button",
          onclick: () => {
            amount.value = formatMoney(minor, currency);
          },
        },
        formatMoney(minor, currency),
      ),
    ),
    amount,
    el("span", { class: "currency" }, currency),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const minor = parseMoney(amount.value.replace(/,/g, ""), currency);
    if (!minor) {
      notify("Enter an amount such as 25.00", "error");
      return;
    }
    submit.disabled = true;
    clearRefusal(form);
    try {
      const receipt = await session.deposit(minor);
      notify(`Deposited ${formatAmount(receipt.amount, receipt.currency)}`, "success");
    } catch (error) {
      if (!showRefusal(form, error, "deposit")) notify(error.message, "error");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function renderLobby(container, { games }) {
  const currency = session.currency;
  replace(
    container,
    el(
      "section",
      { class: "lobby" },
      el(
        "div",
        { class: "panel welcome" },
        el(
          "div",
          {},
          el("h1", {}, `Hello, ${session.player.username}`),
          el("p", { class: "meta" }, "Pick a game. Every round is provably fair: see Fair play."),
        ),
        cashier(),
      ),
      el(
        "div",
        { class: "game-grid" },
        games.map((game) => tile(game, currency)),
      ),
    ),
  );
}
