// The stake control: steps through round amounts the game accepts (multiples of its step,
// within its limits), so the player can never choose a stake the server would refuse.

import { el, replace } from "./ui.js";
import { formatAmount } from "./money.js";

export function stakeLevels(game) {
  const levels = new Set([game.min_stake]);
  for (let power = 1; power <= 1e9; power *= 10) {
    for (const base of [1, 2, 5]) {
      const amount = base * power;
      if (amount >= game.min_stake && amount <= game.max_stake && amount % game.stake_step === 0) {
        levels.add(amount);
      }
    }
  }
  return [...levels].sort((a, b) => a - b);
}

/** {node, value()}: − amount + with the amount nearest `preferred` chosen first. */
export function stakePicker(game, currency, preferred = 100) {
  const levels = stakeLevels(game);
  let index = levels.findIndex((amount) => amount >= preferred);
  if (index < 0) index = levels.length - 1;
  const shown = el("output", { class: "stake-value", "aria-live": "polite" });
  const down = el("button", { type: "button", class: "stepper", "aria-label": "lower stake" }, "−");
  const up = el("button", { type: "button", class: "stepper", "aria-label": "raise stake" }, "+");
  const render = () => {
    replace(shown, formatAmount(levels[index], currency));
    shown.dataset.minor = String(levels[index]);
    down.disabled = index === 0;
    up.disabled = index === levels.length - 1;
  };
  down.addEventListener("click", () => {
    index = Math.max(0, index - 1);
    render();
  });
  up.addEventListener("click", () => {
    index = Math.min(levels.length - 1, index + 1);
    render();
  });
  render();
  const node = el("div", { class: "stake" }, el("span", { class: "label" }, "Stake"), down, shown, up);
  return { node, value: () => levels[index] };
}
