// Log in or create an account. On success the session is connected and the lobby opens.

import { el, replace, notify } from "../ui.js";
import { parseMoney } from "../money.js";
import { session } from "../session.js";
import { renderForgot } from "./recover.js";

const COUNTRIES = [
  ["MT", "Malta"],
  ["DE", "Germany"],
  ["AT", "Austria"],
  ["IE", "Ireland"],
  ["GB", "United Kingdom"],
  ["SE", "Sweden"],
  ["FI", "Finland"],
  ["NO", "Norway"],
  ["DK", "Denmark"],
  ["NL", "Netherlands"],
  ["ES", "Spain"],
  ["IT", "Italy"],
  ["PT", "Portugal"],
  ["CA", "Canada"],
  ["NZ", "New Zealand"],
];
const CURRENCIES = ["EUR", "USD", "GBP", "SEK", "NOK", "DKK", "CAD", "CHF"];
// Deposit limits a new player may set before their first deposit; each applies at once.
const DEPOSIT_LIMITS = [
  ["deposit_24h", "per 24 hours"],
  ["deposit_7d", "per 7 days"],
  ["deposit_30d", "per month"],
];

function field(label, input, hint) {
  return el("label", { class: "field" }, el("span", {}, label), input, hint && el("small", {}, hint));
}

function options(pairs) {
  return pairs.map(([value, text]) => el("option", { value }, text));
}

function loginForm(done) {
  const login = el("input", { name: "login", autocomplete: "username", required: true });
  const password = el("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = el("button", { type: "submit", class: "primary wide" }, "Log in");
  // Shown once the server asks for it: the account uses two-factor login.
  const code = el("input", { name: "code", autocomplete: "one-time-code", inputmode: "numeric" });
  const codeField = field("Code from your authenticator app (or a recovery code)", code);
  codeField.hidden = true;
  const form = el(
    "form",
    { class: "stack", id: "login-form" },
    field("Username or email", login),
    field("Password", password),
    codeField,
    submit,
    el("button", { type: "button", class: "link", id: "forgot", onclick: () => renderForgot(form) }, "Forgot your password?"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await session.login(login.value.trim(), password.value, codeField.hidden ? undefined : code.value.trim());
      done();
    } catch (error) {
      if (error.code === "TWO_FACTOR_REQUIRED") {
        codeField.hidden = false;
        code.focus();
        notify("Enter the code from your authenticator app.", "info");
      } else if (error.code === "INVALID_TWO_FACTOR_CODE") {
        notify("That code is not valid (each code works once). Try the next one.", "error");
      } else {
        notify(error.code === "INVALID_CREDENTIALS" ? "Wrong username or password." : error.message, "error");
      }
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function registerForm(done) {
  const inputs = {
    username: el("input", {
      name: "username",
      autocomplete: "username",
      required: true,
      pattern: "[A-Za-z0-9_]{3,32}",
    }),
    email: el("input", { name: "email", type: "email", autocomplete: "email", required: true }),
    full_name: el("input", { name: "full_name", autocomplete: "name", maxlength: 200 }),
    password: el("input", {
      name: "password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      minlength: 10,
    }),
    date_of_birth: el("input", {
      name: "date_of_birth",
      type: "date",
      required: true,
      max: new Date().toISOString().slice(0, 10),
    }),
    country: el("select", { name: "country" }, options(COUNTRIES)),
    currency: el("select", { name: "currency" }, options(CURRENCIES.map((c) => [c, c]))),
  };
  const limitInputs = Object.fromEntries(
    DEPOSIT_LIMITS.map(([kind, label]) => [
      kind,
      el("input", { name: kind, inputmode: "decimal", placeholder: "no limit", "aria-label": `deposits ${label}` }),
    ]),
  );
  const limits = el(
    "fieldset",
    { class: "stack", id: "register-limits" },
    el("legend", {}, "Deposit limits (optional)"),
    el(
      "div",
      { class: "row" },
      ...DEPOSIT_LIMITS.map(([kind, label]) => field(`Deposits ${label}`, limitInputs[kind])),
    ),
    el(
      "small",
      {},
      "In your account's currency; they apply from the start. Lowering one later applies at once, raising it takes 24 hours.",
    ),
  );
  const submit = el("button", { type: "submit", class: "primary wide" }, "Create account");
  const form = el(
    "form",
    { class: "stack", id: "register-form" },
    field("Username", inputs.username, "3-32 letters, digits or _"),
    field("Email", inputs.email),
    field(
      "Full name (optional)",
      inputs.full_name,
      "as on your ID: we check it against sanctions lists, as the law asks",
    ),
    field("Password", inputs.password, "at least 10 characters; mix letters, digits and symbols"),
    el(
      "div",
      { class: "row" },
      field("Date of birth", inputs.date_of_birth),
      field("Country", inputs.country),
      field("Currency", inputs.currency),
    ),
    limits,
    el(
      "p",
      { class: "fine" },
      "18+ only. This is a demo: deposits come from a sandbox, no real money moves.",
    ),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const fields = Object.fromEntries(
      Object.entries(inputs).map(([name, input]) => [name, input.value.trim()]),
    );
    fields.password = inputs.password.value;
    const chosen = {};
    for (const [kind, label] of DEPOSIT_LIMITS) {
      const raw = limitInputs[kind].value.trim();
      if (!raw) continue;
      const amount = parseMoney(raw, fields.currency);
      if (!amount) {
        notify(`Deposits ${label}: enter an amount such as 50.00, or leave it empty`, "error");
        submit.disabled = false;
        return;
      }
      chosen[kind] = amount;
    }
    if (Object.keys(chosen).length) fields.limits = chosen;
    if (!fields.full_name) delete fields.full_name; // optional: an empty name is no name
    try {
      await session.register(fields);
      notify(`Welcome, ${fields.username}!`, "success");
      done();
    } catch (error) {
      notify(error.message, "error");
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

export function renderLogin(container, { done }) {
  const tabs = el("div", { class: "tabs", role: "tablist" });
  const body = el("div", { class: "tab-body" });
  const show = (which) => {
    for (const tab of tabs.children) tab.setAttribute("aria-selected", String(tab.dataset.tab === which));
    replace(body, which === "login" ? loginForm(done) : registerForm(done));
  };
  for (const [name, label] of [
    ["login", "Log in"],
    ["register", "Create account"],
  ]) {
    tabs.append(
      el("button", { type: "button", role: "tab", dataset: { tab: name }, onclick: () => show(name) }, label),
    );
  }
  show("login");
  replace(
    container,
    el(
      "section",
      { class: "panel auth" },
      el(
        "div",
        { class: "auth-hero" },
        el("h1", {}, "Casino"),
        el("p", {}, "Slots, roulette, blackjack and baccarat, provably fair."),
      ),
      tabs,
      body,
    ),
  );
}
