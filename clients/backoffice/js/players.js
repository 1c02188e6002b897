// Player search (id, username, email or payment reference) and one player's profile:
// balances (cash, bonus and locked apart), sessions, KYC level, limits, alerts, notes, and
// the actions the role may take, each with its reason.

import { h, idempotencyKey, money, status, table, when } from "./dom.js";
import { api } from "./http.js";

const PLAYER = "/api/staff/players/{player_id}";

export async function renderPlayers(root, [query = ""]) {
  const input = h("input", { id: "search-q", name: "q", required: true, maxlength: "254", value: query,
    placeholder: "id, username, email or payment reference" });
  const form = h("form", { id: "search-form", class: "panel", role: "search" },
    h("label", {}, "Find a player", input), h("button", { type: "submit", text: "Search" }));
  const results = h("div", { id: "search-results" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/players/${encodeURIComponent(input.value.trim())}`;
  });
  root.append(h("h1", { text: "Players" }), form, results);
  if (!query) return;
  const found = await api("GET", `/api/staff/players?q=${encodeURIComponent(query)}`);
  if (found.players.length === 0) {
    results.append(h("p", { class: "muted", text: "No player matches." }));
    return;
  }
  results.append(
    table(
      [
        { label: "Id", num: true, render: (p) => h("a", { href: `#/player/${p.player_id}`, text: String(p.player_id) }) },
        { key: "username", label: "Username" },
        { key: "email", label: "Email" },
        { key: "country", label: "Country" },
        { key: "currency", label: "Currency" },
        { key: "status", label: "Status" },
      ],
      found.players,
      { id: "search-table" },
    ),
  );
}

function balances(b) {
  const box = (id, label, minor) =>
    h("div", { class: "balance", id }, h("span", { class: "muted", text: label }), h("strong", { text: money(minor, b.currency) }));
  return h("div", { class: "balances" }, box("bal-cash", "Cash", b.cash), box("bal-bonus", "Bonus", b.bonus),
    box("bal-locked", "Locked", b.locked));
}

function limitValue(kind, value, currency) {
  if (value === null || value === undefined) return "none";
  return kind.startsWith("deposit") || kind.startsWith("loss") || kind.startsWith("wager") ? money(value, currency) : String(value);
}

// One action: a reason (and maybe more fields), a button, the result on a line of its own.
function action(id, title, fields, label, run, { danger = false } = {}) {
  const reason = h("input", { name: "reason", required: true, maxlength: "500", placeholder: "reason" });
  const result = h("p", { class: "ok", role: "status", hidden: true });
  const form = h("form", { id, class: "panel" }, h("strong", { text: title }), ...fields,
    h("label", {}, "Reason", reason), h("button", { type: "submit", class: danger ? "danger" : null, text: label }), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      status(result, await run(reason.value.trim()), true);
    } catch (refused) {
      if (refused.status !== 401) status(result, `${refused.code}: ${refused.message}`, false);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// "12.34" or "-5" as minor units; NaN when it is not an amount with at most two decimals.
export function minorUnits(text) {
  const match = /^(-)?(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return NaN;
  const minor = Number(match[2]) * 100 + Number((match[3] || "0").padEnd(2, "0"));
  return match[1] ? -minor : minor;
}

// What a closing did, in one line: how the cash left (the payout kind and amount) and what
// else the account held. `refused` says why the cash did not go back as a withdrawal.
export function closedText(c) {
  const cash = money(c.cash, c.currency);
  const payout = {
    withdrawal: `payout withdrawal ${cash} (payment #${c.payment_id}, ${c.payment_status})`,
    payable: `payout payable ${cash} to the closed-accounts liability${c.refused ? ` (${c.refused})` : ""}`,
    none: "payout none",
  }[c.payout] || `payout ${c.payout} ${cash}`;
  const more = [];
  if (c.bonus_forfeited > 0) more.push(`bonus forfeited ${money(c.bonus_forfeited, c.currency)}`);
  if (c.locked > 0) more.push(`${money(c.locked, c.currency)} stays locked in pending withdrawals`);
  return [`closed: ${payout}`, ...more].join("; ");
}

export async function renderProfile(root, [id], { may, notice = null }) {
  const player = await api("GET", `/api/staff/players/${encodeURIComponent(id)}`);
  const base = `/api/staff/players/${player.player_id}`;
  // Re-read after an action; `told` (the action's result) stays on the page above the profile.
  const reload = (told = null) => { root.replaceChildren(); return renderProfile(root, [id], { may, notice: told }); };
  const cur = player.currency;
  root.append(
    h("h1", { id: "profile-title", text: `${player.username} · #${player.player_id}` }),
    ...(notice ? [h("p", { id: "profile-notice", class: "ok", role: "status", text: notice })] : []),
    h("dl", { class: "facts panel", id: "profile-facts" },
      h("dt", { text: "Email" }), h("dd", { text: player.email }),
      h("dt", { text: "Country" }), h("dd", { text: player.country }),
      h("dt", { text: "Currency" }), h("dd", { text: cur }),
      h("dt", { text: "Status" }), h("dd", { id: "profile-status", text: player.status }),
      h("dt", { text: "KYC level" }), h("dd", { id: "profile-kyc", text: String(player.kyc_level) }),
      h("dt", { text: "Registered" }), h("dd", { text: when(player.created_at) }),
      h("dt", { text: "Exclusion" }),
      h("dd", { text: player.exclusion ? `${player.exclusion.kind} until ${when(player.exclusion.until_ms)}` : "none" })),
    h("h2", { text: "Balances" }), balances(player.balances),
    h("h2", { text: "Open sessions" }),
    table([{ label: "Started", render: (s) => when(s.created_at) }, { label: "Expires", render: (s) => when(s.expires_at) }],
      player.sessions, { id: "profile-sessions" }),
    h("h2", { text: "Limits" }),
    table([{ key: "kind", label: "Limit" }, { label: "In force", render: (l) => limitValue(l.kind, l.value, cur) },
      { label: "Pending", render: (l) => (l.pending_value === null ? "" : limitValue(l.kind, l.pending_value, cur)) }],
      Object.entries(player.limits || {}).map(([kind, l]) => ({ kind, ...l })), { id: "profile-limits" }),
    h("h2", { text: "Alerts" }),
    table([{ key: "id", label: "Id", num: true }, { key: "rule", label: "Rule" }, { key: "severity", label: "Severity" },
      { key: "status", label: "Status" }, { key: "action", label: "Action" }, { label: "Raised", render: (a) => when(a.created_at) }],
      player.alerts, { id: "profile-alerts" }),
    h("h2", { text: "Notes" }),
    h("ul", { id: "profile-notes" }, player.notes.map((n) => h("li", {}, h("span", { class: "muted", text: `${when(n.created_at)} ${n.author}: ` }), n.text))),
  );
  if (may("POST", `${PLAYER}/notes`)) {
    const text = h("textarea", { name: "text", id: "note-text", required: true, maxlength: "2000", rows: "2" });
    const form = h("form", { id: "note-form", class: "panel" }, h("label", {}, "New note", text), h("button", { type: "submit", text: "Add note" }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await api("POST", `${base}/notes`, { body: { text: text.value } });
      await reload();
    });
    root.append(form);
  }
  const actions = h("div", { id: "profile-actions" });
  if (player.status === "active" && may("POST", `${PLAYER}/suspend`)) {
    actions.append(action("suspend-form", "Suspend the account", [], "Suspend", async (reason) => {
      await api("POST", `${base}/suspend`, { body: { reason } });
      await reload();
      return "suspended";
    }, { danger: true }));
  }
  // A closed account stays closed (the server refuses to reinstate one): no form for it.
  if (player.status !== "active" && player.status !== "closed" && may("POST", `${PLAYER}/reinstate`)) {
    actions.append(action("reinstate-form", "Reinstate the account", [], "Reinstate", async (reason) => {
      await api("POST", `${base}/reinstate`, { body: { reason } });
      await reload();
      return "reinstated";
    }));
  }
  if (may("POST", `${PLAYER}/provider-sessions/revoke`)) {
    actions.append(action("revoke-form", "Revoke game-provider sessions", [], "Revoke", async (reason) => {
      const done = await api("POST", `${base}/provider-sessions/revoke`, { body: { reason } });
      return `${done.revoked} provider game session${done.revoked === 1 ? "" : "s"} revoked`;
    }, { danger: true }));
  }
  if (may("POST", `${PLAYER}/close`)) {
    const key = idempotencyKey("close"); // one per page view: a double click closes once
    // Closing is for good: a box to tick first (the browser will not submit the form without it).
    const sure = h("label", { class: "check" }, h("input", { type: "checkbox", name: "confirm", id: "close-confirm", required: true }),
      "I understand the account stays closed");
    actions.append(action("close-form", "Close the account (its balance is paid out)", [sure], "Close account", async (reason) => {
      const closed = await api("POST", `${base}/close`, { body: { reason, idempotency_key: key } });
      const told = closedText(closed);
      await reload(told); // the profile re-read shows the status and balances the server now holds
      return told;
    }, { danger: true }));
  }
  if (may("POST", "/api/staff/adjustments")) {
    const amount = h("input", { name: "amount", id: "adjust-amount", required: true, placeholder: "-5.00 or 12.34" });
    const key = idempotencyKey("adjust");
    actions.append(action("adjust-form", "Propose a manual adjustment (another staff member approves it)",
      [h("label", {}, `Amount (${cur}, signed)`, amount)], "Propose", async (reason) => {
        const minor = minorUnits(amount.value);
        if (Number.isNaN(minor) || minor === 0) throw Object.assign(new Error("amount is a signed amount like 12.34"), { code: "INVALID_AMOUNT" });
        const proposal = await api("POST", "/api/staff/adjustments", {
          body: { player_id: player.player_id, amount: minor, reason }, headers: { "Idempotency-Key": key } });
        return `proposal #${proposal.proposal_id}: ${money(proposal.amount, proposal.currency)} ${proposal.status}`;
      }));
  }
  if (actions.childElementCount) root.append(h("h2", { text: "Actions" }), actions);
}
