// Playing cards as the wire names them ("AS", "TH", "9C") drawn as small cards.

import { el } from "./ui.js";

const SUITS = { S: "♠", H: "♥", D: "♦", C: "♣" };
const RANKS = { T: "10", J: "J", Q: "Q", K: "K", A: "A" };

export function cardLabel(name) {
  return (RANKS[name[0]] || name[0]) + SUITS[name[1]];
}

/** A face-up card, or the back of one when `name` is null (the dealer's hole card). */
export function cardNode(name, delayIndex = 0) {
  if (!name) return el("div", { class: "card back", title: "hidden card" });
  const rank = RANKS[name[0]] || name[0];
  const suit = SUITS[name[1]] || "?";
  const red = name[1] === "H" || name[1] === "D";
  const card = el(
    "div",
    { class: `card ${red ? "red" : "black"}`, title: cardLabel(name), dataset: { card: name } },
    el("span", { class: "corner" }, rank, el("br"), suit),
    el("span", { class: "pip" }, suit),
  );
  card.style.animationDelay = `${delayIndex * 90}ms`;
  return card;
}

export function handNode(cards, { hidden = 0 } = {}) {
  const nodes = cards.map((name, index) => cardNode(name, index));
  for (let i = 0; i < hidden; i += 1) nodes.push(cardNode(null));
  return el("div", { class: "hand-cards" }, nodes);
}
