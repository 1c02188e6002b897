// The player's transactions from the ledger: deposits, withdrawals, bonuses, adjustments and
// chargebacks (stakes and wins are the History screen's), newest first, 50 at a time.

import { el, replace, notify, timeText, busy } from "../ui.js";
import { formatAmount } from "../money.js";
import { session } from "../session.js";
import { api } from "../http.js";

const KINDS = {
  deposit: "Deposit",
  withdrawal_lock: "Withdrawal requested",
  withdrawal: "Withdrawal paid",
  withdrawal_return: "Withdrawal returned",
  bonus: "Bonus",
  adjustment: "Adjustment by our team",
  chargeback_recovered: "Chargeback",
  chargeback_debt: "Chargeback (owed)",
  debt_repaid: "Debt repaid",
};
const SIDES = { cash: "cash", bonus: "bonus money", locked: "withdrawal pending", debt: "amount owed", outside: "" };

function movement(line) {
  const from = SIDES[line.from] ?? line.from;
  const to = SIDES[line.to] ?? line.to;
  if (from && to) return `${from} → ${to}`;
  return from ? `from ${from}` : `to ${to}`;
}

function row(line) {
  return el(
    "li",
    { class: "tx-row", "data-kind": line.kind },
    el("span", { class: "when" }, timeText(line.at_ms)),
    el("span", { class: "what" }, KINDS[line.kind] || line.kind.replace(/_/g, " "), el("small", { class: "meta" }, ` ${movement(line)}`)),
    el("span", { class: "num" }, formatAmount(line.amount, line.currency)),
    el(
      "span",
      { class: `num change ${line.change > 0 ? "plus" : ""}` },
      line.change ? `${line.change > 0 ? "+" : "−"}${formatAmount(Math.abs(line.change), line.currency)}` : "–",
    ),
  );
}

export async function renderTransactions(container) {
  const list = el("ol", { class: "transactions", "aria-busy": "true" });
  const more = el("button", { type: "button", class: "secondary small", id: "transactions-more", hidden: true }, "Show older");
  let cursor = null;
  async function load() {
    list.setAttribute("aria-busy", "true");
    try {
      const query = cursor ? `?limit=50&cursor=${encodeURIComponent(cursor)}` : "?limit=50";
      const reply = await api("GET", `/api/transactions${query}`, { token: session.token });
      if (!cursor && !reply.transactions.length) {
        replace(list, el("li", { class: "empty" }, "No transactions yet: deposit from the Cashier."));
      } else {
        list.append(...reply.transactions.map(row));
      }
      cursor = reply.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      notify(error.message, "error");
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }
  more.addEventListener("click", () => busy(more, load));
  replace(
    container,
    el(
      "section",
      { class: "panel transactions-screen" },
      el(
        "div",
        { class: "game-head" },
        el("h1", {}, "Transactions"),
        el("p", { class: "meta" }, "Deposits, withdrawals, bonuses and adjustments, newest first. Your rounds are in History."),
      ),
      el(
        "div",
        { class: "tx-row heading", "aria-hidden": "true" },
        el("span", {}, "Time"),
        el("span", {}, "What"),
        el("span", { class: "num" }, "Amount"),
        el("span", { class: "num" }, "Your balance"),
      ),
      list,
      more,
    ),
  );
  await load();
}
