// The payments cashier: deposit by card (a test number, tokenised by the gateway), e-wallet or
// bank transfer; the 3-D Secure (or e-wallet) step on the gateway's own page, which sends the
// player back here; withdraw to a saved method (with the two-factor code when the server asks
// for it: a method never withdrawn to before, for a player with two-factor on), and cancel one
// still with the bank; and the player's payments, pending and done.
// The card number goes to the server once, which hands it to the gateway and keeps only the
// gateway's token and the last four digits; this page never stores it either.

import { api, ApiError } from "../http.js";
import { formatAmount, parseMoney } from "../money.js";
import { session } from "../session.js";
import { el, replace, notify } from "../ui.js";
import { clearRefusal, showRefusal } from "../refusals.js";

const STATUS_TEXT = {
  requires_action: "waiting for 3-D Secure",
  processing: "processing",
};

function pay(kind, body) {
  return api("POST", `/api/payments/${kind}`, {
    token: session.token,
    body,
    headers: { "Idempotency-Key": crypto.randomUUID() },
  });
}

function amountInput(name) {
  return el("input", { name, inputmode: "decimal", value: "50.00", size: 8, "aria-label": name });
}

function describe(payment) {
  const state =
    payment.status === "pending" ? STATUS_TEXT[payment.gateway_status] || "pending" : payment.status;
  return payment.decline_code ? `${state} (${payment.decline_code.replace(/_/g, " ")})` : state;
}

function historyRow(payment, refresh) {
  let action = "";
  if (payment.status === "pending" && payment.action_url) {
    action = el("a", { href: payment.action_url, class: "button small" }, "Complete 3-D Secure");
  } else if (payment.kind === "withdrawal" && payment.status === "pending" && payment.gateway_status === "processing") {
    // Still with the bank: the player may take it back (where the jurisdiction allows it).
    action = el(
      "button",
      {
        type: "button",
        class: "secondary small cancel-withdrawal",
        onclick: async () => {
          try {
            await api("POST", `/api/payments/${payment.payment_id}/cancel`, { token: session.token });
            notify("Withdrawal cancelled: the money is back in your balance.", "success");
            session.request("balance").catch(() => {});
          } catch (error) {
            notify(error.message || "The withdrawal could not be cancelled.", "error");
          }
          await refresh();
        },
      },
      "Cancel",
    );
  }
  return el(
    "tr",
    { dataset: { paymentId: String(payment.payment_id), status: payment.status } },
    el("td", {}, payment.kind),
    el("td", { class: "amount" }, formatAmount(payment.amount, payment.currency)),
    el("td", { class: "status" }, describe(payment)),
    el("td", {}, action),
  );
}

export function renderPayments() {
  const currency = session.currency;
  const section = el("section", { class: "panel", id: "payments" }, el("p", { class: "meta" }, "Loading…"));
  const methodsOf = { list: [] };

  async function refresh() {
    try {
      const { available, methods } = await api("GET", "/api/payments/methods", { token: session.token });
      if (!available) {
        replace(section, el("p", { class: "meta" }, "No payment gateway is configured on this server."));
        return;
      }
      const { payments } = await api("GET", "/api/payments?limit=20", { token: session.token });
      methodsOf.list = methods;
      draw(payments);
    } catch (error) {
      if (error instanceof ApiError && error.code === "PAYMENTS_UNAVAILABLE") {
        replace(section, el("p", { class: "meta" }, "No payment gateway is configured on this server."));
      } else {
        replace(section, el("p", { class: "meta" }, `Payments could not be loaded: ${error.message}`));
      }
    }
  }

  function draw(payments) {
    const depositAmount = amountInput("deposit amount");
    const saved = methodsOf.list.map((m) => el("option", { value: `saved:${m.method_id}` }, m.label));
    const method = el(
      "select",
      { id: "pay-method", "aria-label": "payment method" },
      ...saved,
      el("option", { value: "card" }, "New card"),
      el("option", { value: "ewallet" }, "Sandbox e-wallet"),
      el("option", { value: "bank_transfer" }, "Bank transfer"),
    );
    const cardNumber = el("input", {
      id: "card-number",
      name: "card number",
      inputmode: "numeric",
      autocomplete: "cc-number",
      placeholder: "4242424242424242",
      "aria-label": "card number",
      size: 19,
    });
    // The e-wallet's account id or the bank account's IBAN: saved as a method of its own
    // (optional: without it the plain sandbox e-wallet or transfer is used).
    const account = el("input", {
      id: "pay-account",
      name: "account",
      autocomplete: "off",
      "aria-label": "e-wallet account or IBAN",
      size: 28,
    });
    const showCard = () => {
      cardNumber.hidden = method.value !== "card";
      account.hidden = method.value !== "ewallet" && method.value !== "bank_transfer";
      account.placeholder = method.value === "ewallet" ? "you@wallet.example (optional)" : "IBAN (optional)";
    };
    method.value = saved.length ? saved[0].value : "card";
    method.addEventListener("change", showCard);
    showCard();
    const deposit = el(
      "form",
      { class: "cashier", id: "pay-deposit" },
      el("span", { class: "label" }, "Deposit"),
      depositAmount,
      el("span", { class: "currency" }, currency),
      method,
      cardNumber,
      account,
      el("button", { type: "submit", class: "primary" }, "Deposit"),
    );
    deposit.addEventListener("submit", async (event) => {
      event.preventDefault();
      const amount = parseMoney(depositAmount.value.replace(/,/g, ""), currency);
      if (!amount) return notify("Enter an amount such as 25.00", "error");
      const body = { amount };
      if (method.value === "card") body.card_number = cardNumber.value.replace(/\s/g, "");
      else if (method.value.startsWith("saved:")) body.method_id = Number(method.value.slice(6));
      else {
        body.method = method.value;
        if (account.value.trim()) body.account = account.value.trim();
      }
      await submit(deposit, "deposits", body);
    });

    const withdrawAmount = amountInput("withdrawal amount");
    const target = el(
      "select",
      { id: "pay-withdraw-method", "aria-label": "withdraw to" },
      ...methodsOf.list.map((m) => el("option", { value: String(m.method_id) }, m.label)),
    );
    // Shown only once the server asks for it (TWO_FACTOR_REQUIRED): a new method's first payout.
    const twoFactorCode = el("input", {
      id: "pay-withdraw-code",
      name: "two-factor code",
      autocomplete: "one-time-code",
      inputmode: "numeric",
      placeholder: "code from your app",
      "aria-label": "two-factor code",
      size: 10,
    });
    twoFactorCode.hidden = true;
    const withdraw = el(
      "form",
      { class: "cashier", id: "pay-withdraw" },
      el("span", { class: "label" }, "Withdraw"),
      withdrawAmount,
      el("span", { class: "currency" }, currency),
      target,
      twoFactorCode,
      el("button", { type: "submit" }, "Withdraw"),
    );
    withdraw.addEventListener("submit", async (event) => {
      event.preventDefault();
      const amount = parseMoney(withdrawAmount.value.replace(/,/g, ""), currency);
      if (!amount) return notify("Enter an amount such as 25.00", "error");
      const body = { amount };
      if (target.value) body.method_id = Number(target.value);
      if (!twoFactorCode.hidden && twoFactorCode.value.trim()) body.code = twoFactorCode.value.trim();
      await submit(withdraw, "withdrawals", body, (error) => {
        if (error.code === "TWO_FACTOR_REQUIRED") {
          twoFactorCode.hidden = false;
          twoFactorCode.focus();
          notify("A first withdrawal to this method needs the code from your authenticator app.", "info");
          return true;
        }
        if (error.code === "INVALID_TWO_FACTOR_CODE") {
          twoFactorCode.value = "";
          twoFactorCode.focus();
          notify("That code is not valid (each code works once). Try the next one.", "error");
          return true;
        }
        return false;
      });
    });

    replace(
      section,
      el("h2", {}, "Payments"),
      deposit,
      el("p", { class: "meta" }, "Test cards: 4242424242424242 succeeds, 4000000000003220 asks for 3-D Secure, 4000000000000002 is declined."),
      withdraw,
      el(
        "table",
        { id: "pay-history" },
        el("thead", {}, el("tr", {}, el("th", {}, "Kind"), el("th", {}, "Amount"), el("th", {}, "Status"), el("th", {}, ""))),
        el("tbody", {}, ...payments.map((p) => historyRow(p, refresh))),
      ),
      el("button", { type: "button", class: "secondary small", id: "pay-refresh", onclick: refresh }, "Refresh"),
    );
    // A pending payment completes by the gateway's webhook: look again while one is waiting,
    // for as long as the cashier is on screen.
    if (payments.some((p) => p.status === "pending")) {
      setTimeout(() => {
        if (!section.isConnected) return;
        refresh();
        session.request("balance").catch(() => {}); // its reply updates the shown balance
      }, 1500);
    }
  }

  // `refused(error)`: the form's own answer to a refusal; true when it told the player.
  async function submit(form, kind, body, refused = () => false) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    clearRefusal(form);
    try {
      const payment = await pay(kind, body);
      if (typeof payment.balance === "number") session.setBalance(payment.balance);
      if (payment.status === "pending" && payment.action_url) {
        notify("Your bank asks you to confirm this payment.", "info");
        location.assign(payment.action_url); // the gateway's page sends the player back here
        return;
      }
      notify(`${kind === "deposits" ? "Deposit" : "Withdrawal"} ${describe(payment)}.`, payment.status === "declined" ? "error" : "success");
      await refresh();
    } catch (error) {
      // A refusal the form answers itself (a two-factor code), or one that asks something of
      // the player (verification), is explained under the form and stays.
      const answered = error instanceof ApiError && refused(error);
      if (!answered && !showRefusal(form, error, kind === "deposits" ? "deposit" : "withdrawal")) {
        notify(error.message || "The payment failed.", "error");
      }
      button.disabled = false;
    }
  }

  refresh();
  return section;
}
