// A settled round's outcome drawn small, for the history and the fair-play pages.

import { el } from "./ui.js";
import { symbolNode } from "./symbols.js";
import { handNode } from "./cards.js";
import { formatAmount } from "./money.js";

function slotGrid(spin) {
  const rows = spin.grid[0].length;
  const cells = [];
  for (let row = 0; row < rows; row += 1) for (const column of spin.grid) cells.push(symbolNode(column[row]));
  const grid = el("div", { class: "mini-grid" }, cells);
  grid.style.setProperty("--columns", spin.grid.length);
  return grid;
}

function roulette(outcome, currency) {
  const bets = outcome.bets.map((bet) => {
    const what = bet.numbers
      ? `${bet.type} ${bet.numbers.join("-")}`
      : bet.index
        ? `${bet.type} ${bet.index}`
        : bet.type;
    return el(
      "li",
      {},
      `${what}: ${formatAmount(bet.amount, currency)} → ${formatAmount(bet.returns, currency)}`,
    );
  });
  return el(
    "div",
    { class: "outcome-roulette" },
    el("span", { class: `ball large ${outcome.colour}` }, outcome.pocket),
    el("ul", {}, bets),
  );
}

function cards(title, hand, total) {
  return el(
    "div",
    { class: "mini-hand" },
    el("span", { class: "label" }, `${title} ${total}`),
    handNode(hand),
  );
}

export function outcomeNode(round) {
  const outcome = round.outcome;
  if (outcome.grid) return slotGrid(outcome);
  if (outcome.spins) {
    const free = outcome.spins.length - 1;
    return el(
      "div",
      {},
      slotGrid(outcome.spins[0]),
      free ? el("p", { class: "meta" }, `+ ${free} free spins`) : null,
    );
  }
  if (typeof outcome.pocket === "number") return roulette(outcome, round.currency);
  if (outcome.hands) {
    return el(
      "div",
      { class: "outcome-cards" },
      cards("Dealer", outcome.dealer, outcome.dealer_total),
      outcome.hands.map((hand, i) =>
        cards(outcome.hands.length > 1 ? `Hand ${i + 1}` : "You", hand.cards, hand.total),
      ),
    );
  }
  if (outcome.banker) {
    return el(
      "div",
      { class: "outcome-cards" },
      cards("Player", outcome.player, outcome.player_total),
      cards("Banker", outcome.banker, outcome.banker_total),
      el("p", { class: "meta" }, `Bet ${outcome.bet}, ${outcome.result} won`),
    );
  }
  return el("pre", {}, JSON.stringify(outcome, null, 1));
}
