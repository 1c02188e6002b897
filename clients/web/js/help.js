// Every game's help panel: its rules and paytable as the server builds them from the game's
// own definition (GET /api/games/{id}/rules, games/rules.py), so the page never restates a
// figure. A closed <details> under the game's title; its contents load when first opened.

import { el, replace } from "./ui.js";
import { api } from "./http.js";

function table({ title, columns, rows }) {
  return el(
    "table",
    { class: "paytable" },
    el("caption", {}, title),
    el("thead", {}, el("tr", {}, columns.map((column) => el("th", { scope: "col" }, column)))),
    el(
      "tbody",
      {},
      rows.map((row) => el("tr", {}, row.map((cell, index) => el(index ? "td" : "th", index ? {} : { scope: "row" }, cell)))),
    ),
  );
}

/** The help panel of `game` (an entry of the catalogue). */
export function helpPanel(game) {
  const body = el("div", { class: "help-body" }, el("p", { class: "meta" }, "Loading the rules…"));
  const panel = el("details", { class: "help-panel", dataset: { game: game.id } }, el("summary", {}, "Rules and paytable"), body);
  let loaded = false;
  panel.addEventListener("toggle", async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    try {
      const rules = await api("GET", `/api/games/${encodeURIComponent(game.id)}/rules`);
      replace(body, el("ul", { class: "rules" }, rules.rules.map((text) => el("li", {}, text))), rules.tables.map(table));
      panel.dataset.loaded = "true";
    } catch (error) {
      loaded = false;
      replace(body, el("p", { class: "notice error" }, `The rules cannot be loaded: ${error.message}`));
    }
  });
  return panel;
}
