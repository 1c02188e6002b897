// What a settled blackjack round says to the player: one hand's result, or, after a split,
// each hand's own result (a split with one win and one loss is neither "You win" nor
// "Dealer wins"). Pure functions of the server's reply, so they are tested on their own.

import { formatAmount } from "./money.js";

/** "won 4.00 EUR", "push" or "lost" for one settled hand (`returns` is what it pays back). */
export function handResult(hand, currency) {
  if (hand.returns > hand.stake) return `won ${formatAmount(hand.returns, currency)}`;
  if (hand.returns === hand.stake) return "push";
  return "lost";
}

function wholeRound(reply, currency) {
  if (reply.payout > reply.stake) return `You win ${formatAmount(reply.payout, currency)}`;
  if (reply.payout === reply.stake) return "Push: your stake comes back";
  if (reply.payout > 0) return `Returned ${formatAmount(reply.payout, currency)}`;
  return "Dealer wins";
}

/** The table's message for a finished round: per hand after a split, else the round's. */
export function roundResultText(reply, currency) {
  const hands = (reply.outcome && reply.outcome.hands) || [];
  if (hands.length < 2 || !hands.every((hand) => typeof hand.returns === "number")) {
    return wholeRound(reply, currency);
  }
  const each = hands.map((hand, index) => `Hand ${index + 1}: ${handResult(hand, currency)}`);
  return `${each.join(" · ")} · ${formatAmount(reply.payout, currency)} back in all`;
}
