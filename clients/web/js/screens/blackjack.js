// Blackjack: deal, then only the actions the server lists as legal are offered.
// An unfinished hand (from welcome's open_rounds, or refused with ROUND_IN_PROGRESS) is resumed.

import { el, replace, notify } from "../ui.js";
import { formatAmount } from "../money.js";
import { session } from "../session.js";
import { stakePicker } from "../stake.js";
import { handNode } from "../cards.js";
import { ask } from "../dialog.js";
import { handResult, roundResultText } from "../hands.js";

const ACTION_LABELS = {
  hit: "Hit",
  stand: "Stand",
  double: "Double",
  split: "Split",
  insurance: "Insurance",
  no_insurance: "No insurance",
};

function totalText(hand) {
  return hand.soft && hand.total <= 21 ? `soft ${hand.total}` : String(hand.total);
}

function handView(hand, index, view, currency) {
  const badges = [];
  if (hand.doubled) badges.push("doubled");
  if (hand.split) badges.push("split");
  if (hand.total > 21) badges.push("bust");
  if (typeof hand.returns === "number") badges.push(handResult(hand, currency));
  return el(
    "div",
    { class: `hand${view.active === index ? " active" : ""}`, dataset: { hand: String(index) } },
    handNode(hand.cards),
    el(
      "p",
      { class: "hand-info" },
      el("strong", {}, totalText(hand)),
      ` · stake ${formatAmount(hand.stake, currency)}`,
      ...badges.map((badge) => el("span", { class: "badge" }, badge)),
    ),
  );
}

export function renderBlackjack(container, { game, params }) {
  const currency = session.currency;
  const dealer = el("div", { class: "dealer" });
  const hands = el("div", { class: "hands" });
  const message = el("div", { class: "table-message", "aria-live": "polite" }, "Place your stake and deal");
  const actions = el("div", { class: "actions" });
  const stake = stakePicker(game, currency, 200);
  const dealButton = el("button", { type: "button", class: "primary big", id: "deal" }, "Deal");
  const betting = el("div", { class: "controls" }, stake.node, dealButton);
  const section = el(
    "section",
    { class: "game blackjack", dataset: { game: game.id, state: "idle" } },
    el(
      "div",
      { class: "game-head" },
      el("h1", {}, game.name),
      el("p", { class: "meta" }, `6 decks · blackjack pays 3:2 · RTP ${game.rtp} %`),
    ),
    el(
      "div",
      { class: "felt" },
      el("div", { class: "seat dealer-seat" }, el("h2", {}, "Dealer"), dealer),
      message,
      el("div", { class: "seat player-seat" }, el("h2", {}, "You"), hands),
    ),
    actions,
    betting,
  );

  function show(reply) {
    const view = reply.outcome;
    replace(
      dealer,
      handNode(view.dealer, { hidden: view.hole_card_hidden ? 1 : 0 }),
      el(
        "p",
        { class: "hand-info" },
        el(
          "strong",
          {},
          view.hole_card_hidden
            ? `shows ${view.dealer_total}`
            : view.dealer_total > 21
              ? `${view.dealer_total} · bust`
              : String(view.dealer_total),
        ),
      ),
    );
    replace(
      hands,
      view.hands.map((hand, index) => handView(hand, index, view, currency)),
    );
    replace(
      actions,
      reply.actions.map((action) =>
        el(
          "button",
          {
            type: "button",
            class: action === "stand" ? "secondary big" : "primary big",
            dataset: { action },
            onclick: () => act(reply.round_id, action),
          },
          ACTION_LABELS[action] || action,
        ),
      ),
    );
    section.dataset.roundId = reply.round_id;
    section.dataset.state = reply.finished ? "finished" : "playing";
    betting.hidden = !reply.finished;
    if (reply.finished) {
      session.openRounds.delete(reply.round_id);
      replace(message, roundResultText(reply, currency));
    } else {
      session.openRounds.set(reply.round_id, game.id);
      replace(message, view.actions.includes("insurance") ? "Dealer shows an ace: insurance?" : "Your move");
    }
  }

  // A refused deal leaves no hand on the table: the last one's cards and result would read
  // as the answer to this deal.
  function clearTable(text) {
    replace(dealer);
    replace(hands);
    replace(actions);
    delete section.dataset.roundId;
    section.dataset.state = "idle";
    betting.hidden = false;
    replace(message, text);
  }

  async function act(roundId, action) {
    for (const button of actions.querySelectorAll("button")) button.disabled = true;
    try {
      show(await session.request("act", { round_id: roundId, action }));
    } catch (error) {
      notify(error.message, "error");
      await resume(roundId);
    }
  }

  async function resume(roundId) {
    try {
      show(await session.request("resume", { round_id: roundId }));
    } catch (error) {
      session.openRounds.delete(roundId);
      replace(actions);
      betting.hidden = false;
      section.dataset.state = "idle";
      replace(message, "That hand is over (an unattended hand is stood for you). Deal again.");
    }
  }

  dealButton.addEventListener("click", async () => {
    dealButton.disabled = true;
    try {
      show(await session.request("play", { game: game.id, stake: stake.value() }));
    } catch (error) {
      const open = [...session.openRounds].find(([, gameId]) => gameId === game.id);
      if (error.code === "ROUND_IN_PROGRESS" && open) {
        const choice = await ask({
          name: "round-in-progress",
          title: "A hand is still open",
          text: "Finish your unfinished hand before dealing a new one.",
          actions: [
            { label: "Resume hand", value: "resume", primary: true },
            { label: "Cancel", value: "cancel" },
          ],
        });
        if (choice === "resume") await resume(open[0]);
      } else {
        clearTable("No hand dealt. Choose a stake and deal again.");
        notify(
          error.code === "INSUFFICIENT_FUNDS"
            ? "Not enough funds: make a deposit in the lobby."
            : error.message,
          "error",
        );
      }
    } finally {
      dealButton.disabled = false;
    }
  });

  replace(container, section);
  if (params.get("round")) resume(params.get("round"));
}
