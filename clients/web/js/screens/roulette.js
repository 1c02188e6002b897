// European roulette: a wheel that turns to the server's pocket, and a betting board
// (straight numbers, dozens, columns, even-money bets) laid across on a wide screen and
// down on a phone. Chips stay on the board after a spin, so "Spin" repeats the bets.

import { el, replace, notify, sleep } from "../ui.js";
import { formatAmount, formatMoney } from "../money.js";
import { session } from "../session.js";

const WHEEL = [
  0, 32, 15, 19, 4, 21, 2, 25, 17, 34, 6, 27, 13, 36, 11, 30, 8, 23, 10, 5, 24, 16, 33, 1, 20, 14, 31, 9, 22,
  18, 29, 7, 28, 12, 35, 3, 26,
];
const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);
const CHIPS = [10, 50, 100, 500, 2500];
const SVG = "http://www.w3.org/2000/svg";
const colour = (n) => (n === 0 ? "green" : RED.has(n) ? "red" : "black");

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

// Every bet the board offers: key, wire form, label, place across (wide) and down (phone).
function boardBets() {
  const bets = [
    {
      key: "straight:0",
      bet: { type: "straight", numbers: [0] },
      label: "0",
      cls: "green",
      wide: [1, 1, 1, 3],
      tall: [2, 1, 3, 1],
    },
  ];
  for (let n = 1; n <= 36; n += 1) {
    const column = Math.ceil(n / 3);
    bets.push({
      key: `straight:${n}`,
      bet: { type: "straight", numbers: [n] },
      label: String(n),
      cls: colour(n),
      wide: [column + 1, 3 - ((n - 1) % 3), 1, 1],
      tall: [((n - 1) % 3) + 2, column + 1, 1, 1],
    });
  }
  for (let i = 1; i <= 3; i += 1) {
    bets.push({
      key: `column:${i}`,
      bet: { type: "column", index: i },
      label: "2 to 1",
      cls: "outside",
      wide: [14, 4 - i, 1, 1],
      tall: [i + 1, 14, 1, 1],
    });
    bets.push({
      key: `dozen:${i}`,
      bet: { type: "dozen", index: i },
      label: `${["1st", "2nd", "3rd"][i - 1]} 12`,
      cls: "outside",
      wide: [4 * i - 2, 4, 4, 1],
      tall: [1, 4 * i - 2, 1, 4],
    });
  }
  const even = [
    ["low", "1–18"],
    ["even", "Even"],
    ["red", "Red"],
    ["black", "Black"],
    ["odd", "Odd"],
    ["high", "19–36"],
  ];
  even.forEach(([type, label], i) =>
    bets.push({
      key: type,
      bet: { type },
      label,
      cls: `outside ${type}`,
      wide: [2 * i + 2, 5, 2, 1],
      tall: [5, 2 * i + 2, 1, 2],
    }),
  );
  return bets;
}

const keyOf = (bet) =>
  bet.numbers ? `${bet.type}:${bet.numbers.join("-")}` : bet.index ? `${bet.type}:${bet.index}` : bet.type;

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

  const refresh = () => {
    let sum = 0;
    for (const [key, cell] of cells) {
      const amount = placed.get(key) || 0;
      sum += amount;
      cell.querySelector(".chip")?.remove();
      if (amount) cell.append(el("span", { class: "chip" }, formatMoney(amount, currency)));
    }
    total.dataset.minor = String(sum);
    replace(total, `Total bet ${formatAmount(sum, currency)}`);
    spinButton.disabled = sum === 0;
  };

  for (const spec of boardBets()) {
    const cell = el(
      "button",
      {
        type: "button",
        class: `cell ${spec.cls}`,
        dataset: { bet: spec.key },
        "aria-label": `bet on ${spec.label}`,
      },
      el("span", { class: "cell-label" }, spec.label),
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
      ),
    ),
  );

  spinButton.addEventListener("click", async () => {
    const bets = [...placed].map(([key, amount]) => ({ ...cells.get(key).bet, amount }));
    const stake = bets.reduce((sum, bet) => sum + bet.amount, 0);
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
