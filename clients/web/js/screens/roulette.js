// European roulette: a wheel that turns to the server's pocket, and a betting board with
// every bet the server accepts (roulette_board.js) laid across on a wide screen and down on
// a phone. Chips stay on the board after a spin, so "Spin" repeats the bets; a chip sits
// beside a label, never on it. Bets above what the player has to play with are refused
// here, before anything is sent.

import { el, replace, notify, sleep } from "../ui.js";
import { formatAmount, formatMoney } from "../money.js";
import { session } from "../session.js";
import { api } from "../http.js";
import { boardBets, colour, keyOf } from "../roulette_board.js";

const WHEEL = [
  0, 32, 15, 19, 4, 21, 2, 25, 17, 34, 6, 27, 13, 36, 11, 30, 8, 23, 10, 5, 24, 16, 33, 1, 20, 14, 31, 9, 22,
  18, 29, 7, 28, 12, 35, 3, 26,
];
const CHIPS = [10, 50, 100, 500, 2500];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function wheel() {
  const step = 360 / WHEEL.length;
  const rotor = svg("g", { class: "rotor" });
  const point = (radius, degrees) => {
    const radians = ((degrees - 90) * Math.PI) / 180;
    return `${110 + radius * Math.cos(radians)} ${110 + radius * Math.sin(radians)}`;
  };
  WHEEL.forEach((number, index) => {
    const from = index * step - step / 2;
    const to = from + step;
    rotor.append(
      svg("path", {
        d: `M${point(62, from)} L${point(104, from)} A104 104 0 0 1 ${point(104, to)} L${point(62, to)} A62 62 0 0 0 ${point(62, from)}Z`,
        class: `pocket ${colour(number)}`,
      }),
    );
    const [x, y] = point(92, index * step).split(" ");
    rotor.append(
      svg("text", { x, y, class: "pocket-number", transform: `rotate(${index * step} ${x} ${y})` }, number),
    );
  });
  rotor.append(svg("circle", { cx: 110, cy: 110, r: 60, class: "hub" }));
  rotor.append(svg("circle", { cx: 110, cy: 110, r: 18, class: "hub-cap" }));
  const root = svg("svg", {
    viewBox: "0 0 220 220",
    class: "wheel",
    role: "img",
    "aria-label": "roulette wheel",
  });
  root.append(
    svg("circle", { cx: 110, cy: 110, r: 108, class: "rim" }),
    rotor,
    svg("path", { d: "M110 14 l-7 -12 h14 z", class: "pointer" }),
  );
  let angle = 0;
  return {
    node: root,
    async spinTo(number) {
      const target = -WHEEL.indexOf(number) * step;
      const quick = matchMedia("(prefers-reduced-motion: reduce)").matches;
      angle += (quick ? 0 : 720) + ((((target - angle) % 360) + 360) % 360);
      rotor.style.transition = quick ? "none" : "transform 1800ms cubic-bezier(0.2, 0.75, 0.25, 1)";
      rotor.style.transform = `rotate(${angle}deg)`;
      await sleep(quick ? 30 : 1850);
    },
  };
}

export function renderRoulette(container, { game }) {
  const currency = session.currency;
  const placed = new Map(); // key -> amount
  const cells = new Map();
  let chip = CHIPS[2];
  const spinner = wheel();
  const result = el("div", { class: "roulette-result", "aria-live": "polite" }, "Place your bets");
  const recent = el("div", { class: "recent-numbers", "aria-label": "recent numbers" });
  const total = el("output", { class: "bet-total" });
  const spinButton = el("button", { type: "button", class: "primary big", id: "spin" }, "Spin");
  const clearButton = el("button", { type: "button", class: "secondary" }, "Clear");
  const board = el("div", { class: "board" });
  const slip = el("ul", { class: "bet-slip", "aria-label": "your bets" });
  const labels = new Map(); // key -> words for the slip

  const refresh = () => {
    let sum = 0;
    const lines = [];
    for (const [key, cell] of cells) {
      const amount = placed.get(key) || 0;
      sum += amount;
      cell.querySelector(".chip")?.remove();
      if (!amount) continue;
      const text = formatMoney(amount, currency);
      // A spot's chip is a marker without figures (it sits on a line); the slip below says it.
      const marker = cell.classList.contains("spot");
      cell.append(el("span", { class: "chip", title: `${labels.get(key)}: ${text}` }, marker ? "" : text));
      lines.push(el("li", { dataset: { bet: key } }, `${labels.get(key)}: ${formatAmount(amount, currency)}`));
    }
    total.dataset.minor = String(sum);
    replace(total, `Total bet ${formatAmount(sum, currency)}`);
    replace(slip, lines);
    spinButton.disabled = sum === 0;
  };

  for (const spec of boardBets()) {
    const words = spec.words;
    labels.set(spec.key, words[0].toUpperCase() + words.slice(1));
    const cell = el(
      "button",
      {
        type: "button",
        class: spec.spot ? "spot" : `cell ${spec.cls}`,
        dataset: { bet: spec.key },
        "aria-label": `bet on ${words}`,
        title: spec.spot ? words : undefined,
      },
      spec.spot ? null : el("span", { class: "cell-label" }, spec.label),
    );
    const [c, r, cs, rs] = spec.wide;
    const [pc, pr, pcs, prs] = spec.tall;
    for (const [name, value] of Object.entries({ c, r, cs, rs, pc, pr, pcs, prs }))
      cell.style.setProperty(`--${name}`, value);
    cell.addEventListener("click", () => {
      placed.set(spec.key, (placed.get(spec.key) || 0) + chip);
      refresh();
    });
    cells.set(spec.key, cell);
    cell.bet = spec.bet;
    board.append(cell);
  }

  const chips = el(
    "div",
    { class: "chips", role: "radiogroup", "aria-label": "chip value" },
    CHIPS.map((value) => {
      const button = el(
        "button",
        { type: "button", class: "chip-button", role: "radio", dataset: { chip: String(value) } },
        formatMoney(value, currency),
      );
      button.addEventListener("click", () => {
        chip = value;
        for (const other of chips.children) other.setAttribute("aria-checked", String(other === button));
      });
      button.setAttribute("aria-checked", String(value === chip));
      return button;
    }),
  );

  clearButton.addEventListener("click", () => {
    placed.clear();
    refresh();
  });

  const section = el(
    "section",
    { class: "game roulette", dataset: { game: game.id, state: "idle" } },
    el(
      "div",
      { class: "game-head" },
      el("h1", {}, game.name),
      el("p", { class: "meta" }, `Single zero · RTP ${game.rtp} %`),
    ),
    el(
      "div",
      { class: "roulette-table" },
      el("div", { class: "wheel-area" }, spinner.node, result, recent),
      el(
        "div",
        { class: "betting" },
        board,
        el("div", { class: "controls" }, chips, total, clearButton, spinButton),
        slip,
      ),
    ),
  );

  // What the player may stake: cash, and bonus money when cash alone falls short (a stake
  // draws on both). Asked of the server only then, so most spins cost no extra request.
  async function playable(stake) {
    const cash = session.balance ?? 0;
    if (stake <= cash) return cash;
    try {
      const page = await api("GET", "/api/bonus", { token: session.token });
      return cash + (page.bonus_balance || 0);
    } catch (error) {
      return cash;
    }
  }

  spinButton.addEventListener("click", async () => {
    const bets = [...placed].map(([key, amount]) => ({ ...cells.get(key).bet, amount }));
    const stake = bets.reduce((sum, bet) => sum + bet.amount, 0);
    spinButton.disabled = true;
    const funds = await playable(stake);
    if (stake > funds) {
      spinButton.disabled = false;
      replace(result, "Bets not placed");
      notify(
        `Your bets total ${formatAmount(stake, currency)} but you have ${formatAmount(funds, currency)} to play with: remove some chips or make a deposit.`,
        "error",
      );
      return;
    }
    section.dataset.state = "spinning";
    spinButton.disabled = true;
    for (const cell of cells.values()) cell.classList.remove("hit", "landed");
    replace(result, "No more bets…");
    const release = session.holdBalance();
    try {
      const reply = await session.request("play", { game: game.id, stake, options: { bets } });
      const { pocket } = reply.outcome;
      await spinner.spinTo(pocket);
      cells.get(`straight:${pocket}`).classList.add("landed");
      for (const bet of reply.outcome.bets) if (bet.returns > 0) cells.get(keyOf(bet))?.classList.add("hit");
      recent.prepend(el("span", { class: `ball ${colour(pocket)}` }, pocket));
      while (recent.children.length > 12) recent.lastChild.remove();
      section.dataset.roundId = reply.round_id;
      result.dataset.pocket = String(pocket);
      replace(
        result,
        el("span", { class: `ball large ${colour(pocket)}` }, pocket),
        reply.payout > stake
          ? ` You win ${formatAmount(reply.payout, currency)}`
          : reply.payout > 0
            ? ` ${formatAmount(reply.payout, currency)} back`
            : " No win",
      );
    } catch (error) {
      replace(result, "Bet refused");
      notify(
        error.code === "INSUFFICIENT_FUNDS"
          ? "Not enough funds: make a deposit in the lobby."
          : error.message,
        "error",
      );
    } finally {
      release();
      section.dataset.state = "idle";
      refresh();
    }
  });

  refresh();
  replace(container, section);
}
