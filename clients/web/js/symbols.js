// Slot symbol art: small inline SVGs drawn from constants (no image files, no emoji font).

import { el } from "./ui.js";

const letter = (text, fill) =>
  `<text x="32" y="46" text-anchor="middle" font-size="${text.length > 1 ? 34 : 40}" ` +
  `font-weight="700" font-family="DejaVu Serif, Georgia, serif" fill="${fill}" ` +
  `stroke="#fff" stroke-width="1.5" paint-order="stroke">${text}</text>`;

const ART = {
  7:
    '<text x="32" y="53" text-anchor="middle" font-size="54" font-weight="900" ' +
    'font-family="DejaVu Sans, Arial, sans-serif" fill="#e0212f" stroke="#ffd54a" ' +
    'stroke-width="3" paint-order="stroke">7</text>',
  BAR:
    '<rect x="6" y="20" width="52" height="24" rx="5" fill="#1d1d24" stroke="#ffd54a" stroke-width="2.5"/>' +
    '<text x="32" y="39" text-anchor="middle" font-size="16" font-weight="800" ' +
    'font-family="DejaVu Sans, Arial, sans-serif" fill="#fff">BAR</text>',
  BELL:
    '<path d="M32 9c-11 0-16 9-16 21v9l-6 8h44l-6-8v-9c0-12-5-21-16-21z" fill="#ffc93c" ' +
    'stroke="#b07d00" stroke-width="2"/><circle cx="32" cy="52" r="5" fill="#b07d00"/>',
  PLUM:
    '<circle cx="32" cy="38" r="18" fill="#7b3fa0" stroke="#4a1f66" stroke-width="2"/>' +
    '<ellipse cx="38" cy="16" rx="9" ry="4.5" fill="#4caf50" transform="rotate(-25 38 16)"/>' +
    '<circle cx="26" cy="32" r="4" fill="#b98ad6"/>',
  LEMON:
    '<path d="M6 34c4-14 16-20 26-20s22 6 26 20c-4 14-16 18-26 18S10 48 6 34z" fill="#ffe14d" ' +
    'stroke="#c9a800" stroke-width="2"/><ellipse cx="24" cy="28" rx="6" ry="3" fill="#fff6b0"/>',
  CHERRY:
    '<path d="M22 42C26 28 34 16 44 10M42 44C42 30 42 20 44 10" stroke="#3b8d2e" ' +
    'stroke-width="3" fill="none"/><circle cx="21" cy="45" r="11" fill="#d7192b"/>' +
    '<circle cx="43" cy="47" r="11" fill="#c01020"/><circle cx="17" cy="41" r="3" fill="#ff8a95"/>',
  "-": "",
  CROWN:
    '<path d="M8 46l4-26 12 12 8-18 8 18 12-12 4 26z" fill="#ffc93c" stroke="#a97400" ' +
    'stroke-width="2"/><rect x="8" y="46" width="48" height="8" rx="2" fill="#e0a800"/>' +
    '<circle cx="32" cy="38" r="4" fill="#d7192b"/>',
  RUBY:
    '<path d="M14 22h36l8 10-26 26L6 32z" fill="#e0213f" stroke="#8c0f25" stroke-width="2"/>' +
    '<path d="M14 22l8 10h20l8-10M6 32h52M22 32l10 26 10-26" stroke="#ff7d92" ' +
    'stroke-width="1.5" fill="none"/>',
  A: letter("A", "#c62828"),
  K: letter("K", "#1565c0"),
  Q: letter("Q", "#7b1fa2"),
  J: letter("J", "#2e7d32"),
  10: letter("10", "#ef6c00"),
  WILD:
    '<rect x="4" y="14" width="56" height="36" rx="8" fill="#5b2bd1" stroke="#ffd54a" stroke-width="3"/>' +
    '<text x="32" y="39" text-anchor="middle" font-size="17" font-weight="900" ' +
    'font-family="DejaVu Sans, Arial, sans-serif" fill="#ffd54a">WILD</text>',
  SCATTER:
    '<path d="M32 5l7 17h18l-14 11 5 18-16-10-16 10 5-18L7 22h18z" fill="#ff9f1c" ' +
    'stroke="#fff3c4" stroke-width="2"/><text x="32" y="38" text-anchor="middle" font-size="13" ' +
    'font-weight="900" font-family="DejaVu Sans, Arial, sans-serif" fill="#5b2bd1">FREE</text>',
};

/** The tile that shows `name`; an unknown symbol is shown as its text. */
export function symbolNode(name) {
  const tile = el("div", {
    class: "symbol",
    dataset: { symbol: name },
    title: name === "-" ? "blank" : name,
  });
  if (Object.prototype.hasOwnProperty.call(ART, name)) {
    tile.innerHTML = `<svg viewBox="0 0 64 64" aria-hidden="true">${ART[name]}</svg>`;
  } else {
    tile.textContent = name;
  }
  return tile;
}
