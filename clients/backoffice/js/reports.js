// Reports: daily gaming and payments, games, open liabilities and a player's statement. A
// date-range form, the table, a chart (chart.js) and the same report as CSV, fetched with
// the session's token and offered as a download.

import { barChart } from "./chart.js";
import { h, money, table, when } from "./dom.js";
import { api } from "./http.js";
import * as session from "./session.js";

const MONEY = new Set(["stakes", "wins", "ggr", "bonus_cost", "ngr", "deposits", "withdrawals", "cash",
  "bonus", "locked", "owed", "operator_liability", "amount", "balance"]);

export const REPORTS = {
  daily: { label: "Daily", path: "/api/staff/reports/daily", period: true, currency: true,
    rows: (r) => [...r.rows, ...r.totals.map((t) => ({ day: "total", ...t }))],
    measures: ["ggr", "ngr", "stakes", "wins", "bonus_cost", "deposits", "withdrawals"],
    points: (r, m) => r.rows.map((x) => ({ label: `${x.day} ${x.currency}`, value: x[m] })) },
  games: { label: "Games", path: "/api/staff/reports/games", period: true, currency: true,
    rows: (r) => r.rows,
    measures: ["ggr", "stakes", "wins"],
    points: (r, m) => r.rows.map((x) => ({ label: `${x.game} ${x.day}`, value: x[m] })) },
  liabilities: { label: "Liabilities", path: "/api/staff/reports/liabilities", period: false, currency: false,
    rows: (r) => r.rows,
    measures: ["owed", "cash", "bonus", "locked", "operator_liability"],
    points: (r, m) => r.rows.map((x) => ({ label: x.currency, value: x[m] })) },
  statement: { label: "Player statement", path: "/api/staff/reports/players/{player_id}/statement", period: true,
    currency: false, player: true,
    rows: (r) => r.lines.map((l) => ({ ...l, at_ms: when(l.at_ms) })),
    measures: ["amount", "balance"],
    points: (r, m) => r.lines.filter((l) => l[m] !== null).map((l) => ({ label: when(l.at_ms).slice(11, 19), value: l[m] })) },
};

const today = () => new Date().toISOString().slice(0, 10);

function cell(key, value, currency) {
  if (MONEY.has(key) && typeof value === "number") return money(value, "") + (currency ? ` ${currency}` : "");
  if (typeof value === "boolean") return value ? "yes" : "NO";
  return value ?? "";
}

async function csvLink(url, name) {
  const held = session.current();
  const reply = await fetch(url, { headers: { Authorization: `Bearer ${held.token}` }, cache: "no-store", credentials: "omit" });
  if (!reply.ok) throw new Error(`the CSV could not be read (${reply.status})`);
  const blob = await reply.blob();
  return h("a", { id: "report-csv", href: URL.createObjectURL(blob), download: `${name}.csv`, text: "Download CSV" });
}

export async function renderReports(root, [kind], { may }) {
  const kinds = Object.keys(REPORTS).filter((k) => may("GET", REPORTS[k].path));
  const chosen = kinds.includes(kind) ? kind : kinds[0];
  const report = REPORTS[chosen];
  const select = h("select", { id: "report-kind", name: "kind" },
    kinds.map((k) => h("option", { value: k, selected: k === chosen, text: REPORTS[k].label })));
  select.addEventListener("change", () => { location.hash = `#/reports/${select.value}`; });
  const from = h("input", { type: "date", id: "report-from", name: "from", value: today() });
  const to = h("input", { type: "date", id: "report-to", name: "to", value: today() });
  const currency = h("input", { id: "report-currency", name: "currency", maxlength: "3", placeholder: "EUR" });
  const player = h("input", { id: "report-player", name: "player", inputmode: "numeric", required: true });
  const form = h("form", { id: "report-form", class: "panel" }, h("label", {}, "Report", select),
    report.period ? [h("label", {}, "From", from), h("label", {}, "To", to)] : [],
    report.currency ? h("label", {}, "Currency", currency) : null,
    report.player ? h("label", {}, "Player id", player) : null,
    h("button", { type: "submit", text: "Show" }));
  const out = h("div", { id: "report-out" });
  root.append(h("h1", { text: "Reports" }), form, out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    out.replaceChildren();
    const query = new URLSearchParams();
    if (report.period) { query.set("from", from.value); query.set("to", to.value); }
    if (report.currency && currency.value.trim()) query.set("currency", currency.value.trim().toUpperCase());
    const path = report.path.replace("{player_id}", encodeURIComponent(player.value.trim()));
    try {
      const found = await api("GET", `${path}?${query}`);
      const rows = report.rows(found);
      const columns = rows.length ? Object.keys(rows[0]) : [];
      const measure = h("select", { id: "report-measure", name: "measure" },
        report.measures.map((m) => h("option", { value: m, text: m })));
      const chart = h("div", { id: "report-chart" });
      const draw = () => chart.replaceChildren(barChart(report.points(found, measure.value),
        { title: `${measure.value} (${report.label})`, format: (v) => money(v) }));
      measure.addEventListener("change", draw);
      draw();
      out.append(
        h("div", { class: "row" }, h("label", {}, "Chart", measure), await csvLink(`${path}?${query}&format=csv`, chosen)),
        chart,
        table(columns.map((key) => ({ key, label: key, num: MONEY.has(key) || typeof rows[0][key] === "number",
          render: (row) => cell(key, row[key]) })), rows, { id: "report-table" }),
      );
      if (found.funds) {
        out.append(h("h2", { text: "Funds" }), table(Object.keys(found.funds[0] || {}).map((key) => ({ key, label: key,
          render: (row) => cell(key, row[key]) })), found.funds, { id: "report-funds" }));
      }
    } catch (refused) {
      if (refused.status !== 401) out.append(h("p", { class: "error", role: "alert", text: `${refused.code || ""} ${refused.message}` }));
    }
  });
}
