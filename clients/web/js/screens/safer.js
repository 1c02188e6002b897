// Safer gambling: the player's limits, reality checks, time-out and self-exclusion (the
// "#/safer" screen), and what the page does for them wherever the player is: the
// reality-check dialog (bets stay on hold until the player answers), the session's elapsed
// time and net position in the top bar when the player's jurisdiction asks for it, the
// limit prompt after a first deposit, and plain words when a session is ended for them.
// Every rule is the server's (/api/rg, docs/players/safer-gambling.md): this screen only
// shows what the server says and asks what it needs.

import { api } from "../http.js";
import { ask, inform } from "../dialog.js";
import { $, el, replace, notify, busy, timeText } from "../ui.js";
import { formatAmount, parseMoney } from "../money.js";
import { session } from "../session.js";

export const rg = {
  state: (token) => api("GET", "/api/rg", { token }),
  setLimit: (token, kind, value) => api("PUT", `/api/rg/limits/${kind}`, { token, body: { value } }),
  confirm: (token, kind) => api("POST", `/api/rg/limits/${kind}/confirm`, { token, body: {} }),
  // The reality-check interval is a setting kept beside the limits, in seconds (the player
  // picks minutes); any change applies at once.
  realityCheck: (token, minutes) =>
    rg.setLimit(token, "reality_check_seconds", minutes === null ? null : minutes * 60),
  timeOut: (token, hours) => api("POST", "/api/rg/time-out", { token, body: { hours } }),
  selfExclude: (token, months) => api("POST", "/api/rg/self-exclusion", { token, body: { months } }),
};

const LIMITS = [
  ["deposit_24h", "Deposits in 24 hours"],
  ["deposit_7d", "Deposits in 7 days"],
  ["deposit_30d", "Deposits in a month"],
  ["loss_24h", "Losses in 24 hours"],
  ["loss_7d", "Losses in 7 days"],
  ["loss_30d", "Losses in a month"],
  ["session_minutes", "Session length"],
];
const TIME_OUTS = [
  [24, "24 hours"],
  [72, "3 days"],
  [168, "1 week"],
  [336, "2 weeks"],
  [1008, "6 weeks"],
];
const EXCLUSIONS = [
  [6, "6 months"],
  [12, "1 year"],
  [24, "2 years"],
  [60, "5 years"],
];
const ENDED = {
  time_out: "You started a time-out: you cannot play or deposit until it ends.",
  self_exclusion: "You excluded yourself: you cannot play or deposit until your self-exclusion ends.",
  session_time_limit: "You reached the session length you set: your session has ended.",
};

const isMinutes = (kind) => kind === "session_minutes";

function valueText(kind, value) {
  if (value === null || value === undefined) return "no limit";
  return isMinutes(kind) ? `${value} minutes` : formatAmount(value, session.currency);
}

/** "1 h 05 min" for an elapsed time in ms; "42 s" under a minute. */
export function durationText(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours) return `${hours} h ${String(minutes).padStart(2, "0")} min`;
  if (minutes) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${seconds} s`;
}

/** What the page says when the server ended the session for one of these reasons. */
export function endedText(reason) {
  return ENDED[reason] || reason;
}

/** Pushes this module answers itself (the page shows no generic notice for them). */
export function isSaferPush(message) {
  return message.type === "reality_check" || message.type === "session_ended";
}

// -- wherever the player is ------------------------------------------------------------------

const figures = { shown: false, startedAt: 0, net: 0, currency: "EUR", token: null, timer: null };

function figuresNode() {
  let node = $("#session-figures");
  if (!node) {
    node = el("span", { id: "session-figures", class: "session-figures", hidden: true, "aria-live": "off" });
    $("#topbar .wallet").prepend(node);
  }
  return node;
}

function drawFigures() {
  const node = figuresNode();
  node.hidden = !figures.shown || !session.player;
  if (node.hidden) return;
  const elapsed = Date.now() - figures.startedAt;
  node.dataset.elapsedMs = String(elapsed);
  node.dataset.net = String(figures.net);
  replace(
    node,
    el("span", { class: "label" }, "Session"),
    " ",
    el("strong", { class: "elapsed" }, durationText(elapsed)),
    " · ",
    el("span", { class: "label" }, "Net"),
    " ",
    el("strong", { class: "net" }, formatAmount(figures.net, figures.currency)),
  );
}

function showFigures(elapsedMs, net, currency) {
  figures.shown = true;
  figures.startedAt = Date.now() - elapsedMs;
  figures.net = net;
  figures.currency = currency || session.currency;
  if (!figures.timer) figures.timer = setInterval(drawFigures, 1000);
  drawFigures();
}

async function learnProfile() {
  // Once per login: whether this player's jurisdiction wants the figures on screen.
  if (!session.token || figures.token === session.token) return;
  figures.token = session.token;
  figures.shown = false;
  try {
    const state = await rg.state(session.token);
    if (state.profile && state.profile.show_session_figures && !figures.shown) {
      showFigures(0, 0, session.currency);
    }
  } catch (error) {
    // No safer-gambling API on this server: nothing to show.
  }
  drawFigures();
}

async function realityCheck(message) {
  const choice = await ask({
    name: "reality-check",
    title: "Reality check",
    text: [
      `You have been playing for ${durationText(message.elapsed_ms)}.`,
      `Your net position this session: ${formatAmount(message.net, message.currency || session.currency)}` +
        " (wins minus stakes).",
      "Your bets are on hold until you choose.",
    ],
    // Escape answers with the last action: carrying on, never a logout by accident.
    actions: [
      { label: "See my history", value: "history" },
      { label: "Log out", value: "logout" },
      { label: "Keep playing", value: "continue", primary: true },
    ],
  });
  if (choice === "logout") {
    $("#logout").click();
    return;
  }
  try {
    await session.request("reality_check_ack");
  } catch (error) {
    notify(error.message, "error");
  }
  if (choice === "history") location.hash = "#/history";
}

// Not a modal dialog: it offers, and the player may go on without answering.
function limitPrompt() {
  $("#limit-prompt")?.remove();
  const close = () => prompt.remove();
  const prompt = el(
    "aside",
    { id: "limit-prompt", class: "panel limit-prompt", role: "region", "aria-label": "deposit limit" },
    el("h2", {}, "Set a deposit limit?"),
    el(
      "p",
      {},
      "This was your first deposit. A deposit limit caps how much you can deposit in 24 hours," +
        " 7 days or a month. Lowering a limit applies at once; raising it takes 24 hours and your" +
        " confirmation.",
    ),
    el(
      "div",
      { class: "dialog-actions" },
      el(
        "button",
        {
          type: "button",
          class: "primary",
          dataset: { value: "set" },
          onclick: () => {
            close();
            location.hash = "#/safer?focus=deposit_24h";
          },
        },
        "Set limits now",
      ),
      el("button", { type: "button", class: "secondary", dataset: { value: "later" }, onclick: close }, "Not now"),
    ),
  );
  $("#screen").before(prompt);
}

/** Wires the session's pushes and deposits to the dialogs and the top bar's figures. */
export function wireSafer() {
  session.addEventListener("pushed", (event) => {
    const message = event.detail;
    if (message.type === "reality_check") {
      if (typeof message.elapsed_ms === "number") showFiguresIfAsked(message);
      realityCheck(message);
    } else if (message.type === "session_ended") {
      session.end(endedText(message.reason), true);
    } else if (message.session && typeof message.session.elapsed_ms === "number") {
      showFigures(message.session.elapsed_ms, message.session.net, message.currency);
    }
  });
  session.addEventListener("balance", () => learnProfile());
  session.addEventListener("limit-prompt", () => limitPrompt());
  session.addEventListener("ended", () => {
    $("#limit-prompt")?.remove();
    figures.shown = false;
    figures.token = null;
    drawFigures();
  });
}

function showFiguresIfAsked(message) {
  if (figures.shown) showFigures(message.elapsed_ms, message.net, message.currency);
}

// -- the screen -------------------------------------------------------------------------------

function limitRow(kind, label, entry, reload) {
  const current = entry ? entry.value : null;
  const pending = entry ? entry.pending : null;
  const input = el("input", {
    name: kind,
    inputmode: isMinutes(kind) ? "numeric" : "decimal",
    "aria-label": `${label} limit`,
    placeholder: isMinutes(kind) ? "minutes" : session.currency,
    size: 8,
  });
  const save = el("button", { type: "submit", class: "primary small" }, "Save");
  const form = el(
    "form",
    { class: "row-form limit-form", dataset: { limit: kind } },
    el("span", { class: "limit-name" }, label),
    el("strong", { class: "limit-value" }, valueText(kind, current)),
    input,
    save,
    current !== null
      ? el(
          "button",
          { type: "button", class: "secondary small", onclick: (e) => busy(e.target, () => change(kind, null, reload)) },
          "Remove",
        )
      : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = input.value.replace(/,/g, "").trim();
    const value = isMinutes(kind) ? (/^\d{1,5}$/.test(raw) ? Number(raw) : null) : parseMoney(raw, session.currency);
    if (!value) {
      notify(isMinutes(kind) ? "Enter a number of minutes such as 60" : "Enter an amount such as 50.00", "error");
      return;
    }
    busy(save, () => change(kind, value, reload));
  });
  if (!pending) return el("li", { class: "limit", dataset: { limit: kind } }, form);
  const due = pending.confirmable || Date.now() >= pending.effective_at_ms;
  const confirm = el(
    "button",
    {
      type: "button",
      class: "primary small",
      disabled: !due,
      dataset: { confirm: kind },
      onclick: (e) => busy(e.target, () => reconfirm(kind, pending, reload)),
    },
    "Confirm",
  );
  return el(
    "li",
    { class: "limit", dataset: { limit: kind } },
    form,
    el(
      "p",
      { class: "pending", dataset: { pending: kind } },
      `Raise to ${valueText(kind, pending.value)} waiting: it can apply from ${timeText(pending.effective_at_ms)}` +
        " (24 hours after you asked), once you confirm it then. Until then your limit stays " +
        `${valueText(kind, current)}. `,
      confirm,
    ),
  );
}

async function change(kind, value, reload) {
  const reply = await rg.setLimit(session.token, kind, value);
  const label = LIMITS.find(([k]) => k === kind)[1];
  if (reply.pending) {
    await inform("Your raise is waiting", [
      `${label}: ${valueText(kind, reply.pending.value)} asked for.`,
      `A higher limit (or none) can apply only after 24 hours, from ${timeText(reply.pending.effective_at_ms)},` +
        " and only when you confirm it then.",
      `Until then your limit stays ${valueText(kind, reply.value)}.`,
    ], "limit-pending");
  } else {
    notify(`${label}: ${valueText(kind, reply.value)}, applies now.`, "success");
  }
  await reload();
}

async function reconfirm(kind, pending, reload) {
  const label = LIMITS.find(([k]) => k === kind)[1];
  const choice = await ask({
    name: "limit-confirm",
    title: "Confirm your new limit?",
    text: [`${label}: ${valueText(kind, pending.value)}.`, "You asked for this at least 24 hours ago."],
    actions: [
      { label: "Confirm", value: "yes", primary: true },
      { label: "Keep my current limit", value: "no" },
    ],
  });
  if (choice !== "yes") return;
  const reply = await rg.confirm(session.token, kind);
  notify(`${label}: ${valueText(kind, reply.value)}, applies now.`, "success");
  await reload();
}

function choice(name, options) {
  return el(
    "select",
    { name, "aria-label": name.replace(/-/g, " ") },
    options.map(([value, label]) => el("option", { value: String(value) }, label)),
  );
}

async function takeTimeOut(select, reload) {
  const label = select.selectedOptions[0].textContent;
  const choice = await ask({
    name: "time-out-confirm",
    title: `Take a ${label} time-out?`,
    text: [
      `For ${label} you cannot play, bet or deposit: on our games and on every game provider's game here.`,
      "Every session you have open ends now, on every device.",
      "You can still log in to see your balance and withdraw what is in your account.",
      "A time-out cannot be ended early, not even by our support team.",
    ],
    actions: [
      { label: `Start my ${label} time-out`, value: "yes", primary: true },
      { label: "Cancel", value: "no" },
    ],
  });
  if (choice !== "yes") return;
  await rg.timeOut(session.token, Number(select.value));
  await reload();
}

async function selfExclude(select, reload) {
  const label = select.selectedOptions[0].textContent;
  const choice = await ask({
    name: "self-exclusion-confirm",
    title: `Exclude yourself for ${label}?`,
    text: [
      `For ${label} you cannot play, bet or deposit: on our games and on every game provider's game here.`,
      "Every session you have open ends now, on every device, and we send you no marketing.",
      "You can still log in to see your balance and withdraw what is in your account.",
      "A self-exclusion cannot be undone early, for any reason.",
      "To exclude yourself from every UK-licensed gambling site at once, register with GAMSTOP (gamstop.co.uk).",
    ],
    actions: [
      { label: `Exclude me for ${label}`, value: "yes", primary: true },
      { label: "Cancel", value: "no" },
    ],
  });
  if (choice !== "yes") return;
  await rg.selfExclude(session.token, Number(select.value));
  await reload();
}

function exclusionPanel(exclusion) {
  const what = exclusion.kind === "self_exclusion" ? "You have excluded yourself" : "You are taking a time-out";
  return el(
    "section",
    { class: "panel exclusion", id: "exclusion", dataset: { kind: exclusion.kind } },
    el("h2", {}, `${what} until ${timeText(exclusion.until_ms)}`),
    el("p", {}, "Until then you cannot play, bet or deposit. You can still see your balance and withdraw."),
  );
}

function screenNode(state, reload, params) {
  const limits = state.limits || {};
  const minutes = el("input", {
    name: "reality-check-minutes",
    inputmode: "numeric",
    "aria-label": "reality check every (minutes)",
    size: 5,
    value: limits.reality_check_seconds?.value ? String(limits.reality_check_seconds.value / 60) : "",
  });
  const realitySave = el("button", { type: "submit", class: "primary small" }, "Save");
  const reality = el(
    "form",
    { class: "row-form", id: "reality-check-form" },
    el("span", {}, "Remind me every"),
    minutes,
    el("span", {}, "minutes of play (empty: never)"),
    realitySave,
  );
  reality.addEventListener("submit", (event) => {
    event.preventDefault();
    const raw = minutes.value.trim();
    if (raw && !/^\d{1,4}$/.test(raw)) {
      notify("Enter a number of minutes such as 30", "error");
      return;
    }
    busy(realitySave, async () => {
      const reply = await rg.realityCheck(session.token, raw ? Number(raw) : null);
      notify(reply.value ? `A reality check every ${reply.value / 60} minutes.` : "No reality checks.", "success");
      await reload();
    });
  });
  const timeOutChoice = choice("time-out-length", TIME_OUTS);
  const exclusionChoice = choice("self-exclusion-length", EXCLUSIONS);
  const excluded = Boolean(state.exclusion);
  const node = el(
    "section",
    { class: "safer" },
    el(
      "div",
      { class: "panel" },
      el("h1", {}, "Safer gambling"),
      el(
        "p",
        { class: "meta" },
        "Set limits on what you deposit, lose and how long you play; take a break; or exclude yourself.",
      ),
      state.profile ? el("p", { class: "fine", id: "profile" }, `Rules of your jurisdiction: ${state.profile.name.toUpperCase()}`) : null,
    ),
    excluded ? exclusionPanel(state.exclusion) : null,
    el(
      "section",
      { class: "panel", id: "limits" },
      el("h2", {}, "Limits"),
      el(
        "p",
        { class: "fine" },
        "The lowest limit that applies wins. Lowering applies at once; raising or removing one waits 24 hours" +
          " and needs your confirmation then.",
      ),
      el(
        "ul",
        { class: "limits" },
        LIMITS.map(([kind, label]) => limitRow(kind, label, limits[kind], reload)),
      ),
    ),
    el("section", { class: "panel", id: "reality-check" }, el("h2", {}, "Reality checks"), reality),
    excluded
      ? null
      : el(
          "section",
          { class: "panel", id: "breaks" },
          el("h2", {}, "Take a break"),
          el(
            "div",
            { class: "row-form" },
            el("span", {}, "Time-out for"),
            timeOutChoice,
            el(
              "button",
              { type: "button", class: "secondary", id: "take-time-out", onclick: (e) => busy(e.target, () => takeTimeOut(timeOutChoice, reload)) },
              "Take a time-out",
            ),
          ),
          el(
            "div",
            { class: "row-form" },
            el("span", {}, "Self-exclusion for"),
            exclusionChoice,
            el(
              "button",
              { type: "button", class: "secondary", id: "self-exclude", onclick: (e) => busy(e.target, () => selfExclude(exclusionChoice, reload)) },
              "Exclude me",
            ),
          ),
        ),
  );
  const focus = params && params.get("focus");
  if (focus) queueMicrotask(() => $(`input[name='${focus}']`, node)?.focus());
  return node;
}

export async function renderSafer(container, { params } = {}) {
  const reload = async () => {
    try {
      const state = await rg.state(session.token);
      if (container.dataset.screen !== "safer") return; // the player moved on meanwhile
      replace(container, screenNode(state, reload, params));
      container.dataset.loaded = String(Date.now());
    } catch (error) {
      replace(container, el("section", { class: "panel" }, el("h1", {}, "Safer gambling"), el("p", {}, error.message)));
    }
  };
  replace(container, el("p", { class: "loading" }, "Loading…"));
  await reload();
}
