// A slot: reels that spin down the game's real strips and stop where the server's round
// stopped them, winning lines lit, free spins played out one after another.

import { el, replace, notify, sleep } from "../ui.js";
import { formatAmount } from "../money.js";
import { session } from "../session.js";
import { symbolNode } from "../symbols.js";
import { stakePicker } from "../stake.js";
import { MACHINES } from "../machines.js";
import { clearPaylines, drawPaylines } from "../paylines.js";

const reducedMotion = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

class Reels {
  constructor(machine) {
    this.machine = machine;
    this.stops = machine.strips.map(() => 0);
    this.reels = machine.strips.map(() => el("div", { class: "reel" }, el("div", { class: "strip" })));
    this.node = el("div", { class: "reels", dataset: { reels: String(this.reels.length) } }, this.reels);
    this.reels.forEach((reel, index) => this.place(index, this.stops[index]));
  }

  symbolsAt(index, stop, count) {
    const strip = this.machine.strips[index];
    return Array.from({ length: count }, (_, j) => strip[(stop + j) % strip.length]);
  }

  place(index, stop) {
    const strip = this.reels[index].firstChild;
    strip.style.transition = "none";
    strip.style.transform = "none";
    replace(strip, this.symbolsAt(index, stop, this.machine.rows).map(symbolNode));
  }

  /** Spin every reel down its strip to `stops`; resolves when the last reel has stopped. */
  async spin(stops, fast) {
    const rows = this.machine.rows;
    const runs = this.reels.map((reel, index) => {
      const length = this.machine.strips[index].length;
      const travel = (((this.stops[index] - stops[index]) % length) + length) % length;
      const count = rows + travel + length * (fast ? 1 : 1 + index);
      const strip = reel.firstChild;
      const cell = reel.clientHeight / rows;
      replace(strip, this.symbolsAt(index, stops[index], count).map(symbolNode));
      strip.style.transition = "none";
      strip.style.transform = `translateY(${-(count - rows) * cell}px)`;
      strip.getBoundingClientRect(); // commit the start position before the transition
      const duration = reducedMotion() ? 40 : (fast ? 380 : 650) + index * (fast ? 90 : 260);
      strip.style.transition = `transform ${duration}ms cubic-bezier(0.18, 0.8, 0.32, 1.06)`;
      strip.style.transform = "translateY(0)";
      return sleep(duration + 30).then(() => this.place(index, stops[index]));
    });
    await Promise.all(runs);
    this.stops = [...stops];
  }

  highlight(spin) {
    const lines = this.machine.paylines;
    for (const win of spin.wins) {
      for (let reel = 0; reel < win.count; reel += 1) {
        this.reels[reel].firstChild.children[lines[win.line][reel]].classList.add("win");
      }
    }
    for (const tile of this.node.querySelectorAll('[data-symbol="SCATTER"]')) {
      if (spin.scatters >= 3) tile.classList.add("win");
    }
  }
}

function winLines(spin) {
  const lines = spin.wins.map((win) =>
    el(
      "li",
      {},
      `Line ${win.line + 1}: ${win.count} × ${win.symbol === "-" ? "blank" : win.symbol} pays ${win.multiplier}× line stake`,
    ),
  );
  if (spin.scatter_multiplier)
    lines.push(el("li", {}, `${spin.scatters} scatters pay ${spin.scatter_multiplier}× stake`));
  if (spin.free_spins_awarded) lines.push(el("li", {}, `${spin.free_spins_awarded} free spins awarded`));
  return lines;
}

export function renderSlot(container, { game }) {
  const machine = MACHINES[game.id];
  const currency = session.currency;
  const reels = new Reels(machine);
  const banner = el("div", { class: "win-banner", "aria-live": "polite" }, "Good luck!");
  const wins = el("ul", { class: "wins" });
  const stake = stakePicker(game, currency, game.id === "classic-sevens" ? 100 : 200);
  const spinButton = el("button", { type: "button", class: "primary big", id: "spin" }, "Spin");
  const section = el(
    "section",
    { class: "game slot", dataset: { game: game.id, state: "idle" } },
    el(
      "div",
      { class: "game-head" },
      el("h1", {}, game.name),
      el("p", { class: "meta" }, `${machine.paylines.length} lines · RTP ${game.rtp} %`),
    ),
    el("div", { class: `machine machine-${machine.strips.length}` }, reels.node, banner),
    el("div", { class: "controls" }, stake.node, spinButton),
    wins,
  );

  async function spin() {
    section.dataset.state = "spinning";
    spinButton.disabled = true;
    replace(wins);
    banner.classList.remove("won");
    replace(banner, "Spinning…");
    const release = session.holdBalance();
    try {
      const reply = await session.request("spin", { game: game.id, stake: stake.value() });
      const spins = reply.outcome.spins || [reply.outcome];
      for (const [index, one] of spins.entries()) {
        if (index > 0)
          replace(
            banner,
            `Free spin ${index} of ${spins.length - 1} (wins ×${reply.outcome.free_spin_multiplier})`,
          );
        clearPaylines(reels.node);
        await reels.spin(one.stops, index > 0);
        reels.highlight(one);
        drawPaylines(reels.node, machine.paylines, machine.rows, one);
        wins.append(
          ...winLines(one).map((line) => {
            if (index > 0) line.prepend(`Free spin ${index}: `);
            return line;
          }),
        );
        if (index < spins.length - 1) await sleep(reducedMotion() ? 0 : 450);
      }
      section.dataset.roundId = reply.round_id;
      banner.dataset.payout = String(reply.payout);
      banner.classList.toggle("won", reply.payout > 0);
      replace(banner, reply.payout > 0 ? `WIN ${formatAmount(reply.payout, currency)}` : "No win this time");
    } catch (error) {
      replace(banner, "Spin refused");
      notify(
        error.code === "INSUFFICIENT_FUNDS"
          ? "Not enough funds: make a deposit in the lobby."
          : error.message,
        "error",
      );
    } finally {
      release();
      spinButton.disabled = false;
      section.dataset.state = "idle";
    }
  }

  spinButton.addEventListener("click", spin);
  replace(container, section);
}
