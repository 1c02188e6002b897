// Punto Banco: bet on the player, the banker or a tie; the tableau draws the third cards.

import { el, replace, notify } from "../ui.js";
import { formatAmount } from "../money.js";
import { session } from "../session.js";
import { stakePicker } from "../stake.js";
import { handNode } from "../cards.js";

const BETS = [
  ["player", "Player", "pays 1:1"],
  ["banker", "Banker", "pays 0.95:1"],
  ["tie", "Tie", "pays 8:1"],
];

export function renderBaccarat(container, { game }) {
  const currency = session.currency;
  let bet = "banker";
  const player = el("div", { class: "seat" });
  const banker = el("div", { class: "seat" });
  const message = el("div", { class: "table-message", "aria-live": "polite" }, "Choose a bet and deal");
  const choices = el(
    "div",
    { class: "bet-choices", role: "radiogroup", "aria-label": "bet" },
    BETS.map(([value, label, odds]) => {
      const button = el(
        "button",
        { type: "button", role: "radio", class: "bet-choice", dataset: { bet: value } },
        el("strong", {}, label),
        el("small", {}, odds),
      );
      button.addEventListener("click", () => {
        bet = value;
        for (const other of choices.children) other.setAttribute("aria-checked", String(other === button));
      });
      button.setAttribute("aria-checked", String(value === bet));
      return button;
    }),
  );
  const stake = stakePicker(game, currency, 200);
  const dealButton = el("button", { type: "button", class: "primary big", id: "deal" }, "Deal");
  const section = el(
    "section",
    { class: "game baccarat", dataset: { game: game.id, state: "idle" } },
    el(
      "div",
      { class: "game-head" },
      el("h1", {}, game.name),
      el("p", { class: "meta" }, `8 decks · banker commission 5 % · RTP ${game.rtp} %`),
    ),
    el("div", { class: "felt baccarat-felt" }, player, message, banker),
    choices,
    el("div", { class: "controls" }, stake.node, dealButton),
  );

  const seat = (node, title, cards, total, won) =>
    replace(
      node,
      el("h2", {}, title),
      handNode(cards),
      el(
        "p",
        { class: `hand-info${won ? " winner" : ""}` },
        el("strong", {}, String(total)),
        won ? " · wins" : "",
      ),
    );

  seat(player, "Player", [], "–", false);
  seat(banker, "Banker", [], "–", false);

  dealButton.addEventListener("click", async () => {
    dealButton.disabled = true;
    section.dataset.state = "dealing";
    try {
      const reply = await session.request("play", { game: game.id, stake: stake.value(), options: { bet } });
      const view = reply.outcome;
      seat(player, "Player", view.player, view.player_total, view.result === "player");
      seat(banker, "Banker", view.banker, view.banker_total, view.result === "banker");
      section.dataset.roundId = reply.round_id;
      const outcome =
        view.result === "tie" ? "Tie" : `${view.result[0].toUpperCase()}${view.result.slice(1)} wins`;
      replace(
        message,
        el("strong", {}, outcome),
        el("br"),
        reply.payout > 0 ? `You get ${formatAmount(reply.payout, currency)}` : "Your bet loses",
      );
    } catch (error) {
      // A refused deal leaves no coup on the table: the last one would read as its answer.
      seat(player, "Player", [], "–", false);
      seat(banker, "Banker", [], "–", false);
      delete section.dataset.roundId;
      replace(message, "No cards dealt. Choose a stake and deal again.");
      notify(
        error.code === "INSUFFICIENT_FUNDS"
          ? "Not enough funds: make a deposit in the lobby."
          : error.message,
        "error",
      );
    } finally {
      dealButton.disabled = false;
      section.dataset.state = "idle";
    }
  });

  replace(container, section);
}
