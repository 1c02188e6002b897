// The work queues: KYC reviews (with the documents shown in the page), withdrawals and
// adjustments awaiting four-eyes approval, and risk alerts. An item is claimed first (one
// staff member holds it, the others see who); only its holder gets the decision, with a
// reason. The proposer of a proposal gets no approve button (four eyes).

import { h, money, status, table, when } from "./dom.js";
import { api } from "./http.js";
import * as session from "./session.js";

const me = () => session.current().grants.name;

// A decision form: a reason and one button per decision; `run(decision, reason)` acts.
function decisionForm(id, decisions, run) {
  const reason = h("input", { name: "reason", maxlength: "500", placeholder: "reason", required: true });
  const result = h("p", { role: "status", hidden: true });
  const form = h("form", { id, class: "panel" }, h("label", {}, "Reason", reason));
  for (const [decision, label, danger] of decisions) {
    form.append(h("button", { type: "submit", value: decision, class: danger ? "danger" : null, text: label }));
  }
  form.append(result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await run(event.submitter.value, reason.value.trim());
    } catch (refused) {
      if (refused.status !== 401) status(result, `${refused.code}: ${refused.message}`, false);
    }
  });
  return form;
}

// The claim cell: who holds the item, and a claim or release button for the caller.
function claimCell(queue, item, holder, rerender) {
  const act = (what) => async () => {
    await api("POST", `/api/staff/queues/${queue}/${item}/${what}`);
    await rerender();
  };
  if (!holder) return h("button", { type: "button", class: "claim", onclick: act("claim"), text: "Claim" });
  if (holder === me()) {
    return h("span", {}, "you ", h("button", { type: "button", class: "release", onclick: act("release"), text: "Release" }));
  }
  return h("span", { class: "holder", text: `held by ${holder}` });
}

async function claimsOf(queue) {
  const found = await api("GET", `/api/staff/queues/${queue}/claims`);
  return new Map(found.claims.map((c) => [c.item, c.holder]));
}

async function documentsPanel(playerId) {
  const found = await api("GET", `/api/staff/kyc/${playerId}/documents`);
  const panel = h("div", { class: "panel documents" });
  for (const doc of found.documents) {
    const ticket = await api("POST", `/api/staff/kyc/documents/${doc.document_id}/view`);
    const caption = `${doc.kind} · ${doc.filename} · ${doc.size} bytes · ${when(doc.uploaded_at)}`;
    panel.append(
      h("figure", { "data-document": String(doc.document_id) },
        doc.content_type.startsWith("image/")
          ? h("img", { class: "doc-view", src: ticket.url, alt: `document ${doc.document_id}: ${doc.kind}` })
          : h("a", { href: ticket.url, download: `kyc-${doc.document_id}.pdf`, text: "Download the PDF" }),
        h("figcaption", { text: caption })),
    );
  }
  if (!found.documents.length) panel.append(h("p", { class: "muted", text: "No documents." }));
  return panel;
}

export async function renderKyc(root) {
  const rerender = () => { root.replaceChildren(); return renderKyc(root); };
  const [queue, held] = await Promise.all([api("GET", "/api/staff/kyc/queue"), claimsOf("kyc")]);
  root.append(h("h1", { text: "KYC review queue" }));
  if (!queue.pending.length) {
    root.append(h("p", { class: "muted", id: "kyc-empty", text: "Nobody waits for a review." }));
    return;
  }
  root.append(table([
    { label: "Player", num: true, render: (p) => h("a", { href: `#/player/${p.player_id}`, text: String(p.player_id) }) },
    { key: "username", label: "Username" }, { key: "country", label: "Country" },
    { key: "level", label: "Level", num: true }, { label: "Waiting since", render: (p) => when(p.since) },
    { key: "documents", label: "Documents", num: true },
    { label: "Claim", render: (p) => claimCell("kyc", p.player_id, held.get(p.player_id), rerender) },
  ], queue.pending, { id: "kyc-table" }, (p) => p.player_id));
  for (const item of queue.pending.filter((p) => held.get(p.player_id) === me())) {
    const section = h("section", { id: `kyc-review-${item.player_id}` }, h("h2", { text: `Review of ${item.username}` }));
    section.append(await documentsPanel(item.player_id));
    section.append(decisionForm(`kyc-decide-${item.player_id}`,
      [["approve", "Approve"], ["more", "Ask for more"], ["reject", "Reject", true]],
      async (decision, reason) => {
        await api("POST", `/api/staff/kyc/${item.player_id}/${decision}`, { body: { reason } });
        await api("POST", `/api/staff/queues/kyc/${item.player_id}/release`);
        await rerender();
      }));
    root.append(section);
  }
}

export async function renderWithdrawals(root) {
  const rerender = () => { root.replaceChildren(); return renderWithdrawals(root); };
  const [listed, held] = await Promise.all([api("GET", "/api/staff/proposals"), claimsOf("withdrawals")]);
  const open = listed.proposals.filter((p) => p.status === "held" || p.status === "pending");
  root.append(h("h1", { text: "Awaiting approval" }),
    h("p", { class: "muted", text: "Held withdrawals and manual adjustments: one staff member proposes, another approves." }));
  if (!open.length) {
    root.append(h("p", { class: "muted", id: "withdrawals-empty", text: "Nothing awaits approval." }));
    return;
  }
  root.append(table([
    { key: "proposal_id", label: "Id", num: true }, { key: "kind", label: "Kind" },
    { label: "Player", num: true, render: (p) => h("a", { href: `#/player/${p.player_id}`, text: String(p.player_id) }) },
    { label: "Amount", num: true, render: (p) => money(p.amount, p.currency) }, { key: "status", label: "Status" },
    { key: "proposed_by", label: "Proposed by" }, { key: "reason", label: "Reason" },
    { label: "Claim", render: (p) => claimCell("withdrawals", p.proposal_id, held.get(p.proposal_id), rerender) },
  ], open, { id: "withdrawals-table" }, (p) => p.proposal_id));
  for (const item of open.filter((p) => held.get(p.proposal_id) === me())) {
    const decisions = [];
    if (item.status === "held") decisions.push(["propose", "Propose approval"]);
    if (item.status === "pending" && item.proposed_by !== me()) decisions.push(["approve", "Approve"]);
    decisions.push(["reject", "Reject", true]);
    root.append(h("section", { id: `proposal-${item.proposal_id}` },
      h("h2", { text: `Proposal #${item.proposal_id}: ${item.kind} of ${money(item.amount, item.currency)}` }),
      decisionForm(`proposal-decide-${item.proposal_id}`, decisions, async (decision, reason) => {
        const after = await api("POST", `/api/staff/proposals/${item.proposal_id}/${decision}`, { body: { reason } });
        if (after.status !== "held" && after.status !== "pending" || decision === "propose") {
          await api("POST", `/api/staff/queues/withdrawals/${item.proposal_id}/release`);
        }
        await rerender();
      })));
  }
}

export async function renderAlerts(root) {
  const rerender = () => { root.replaceChildren(); return renderAlerts(root); };
  const found = await api("GET", "/api/staff/risk/alerts?status=open");
  root.append(h("h1", { text: "Risk alerts" }));
  if (!found.alerts.length) {
    root.append(h("p", { class: "muted", id: "alerts-empty", text: "No open alerts." }));
    return;
  }
  const assign = (alert) => async () => {
    await api("POST", `/api/staff/risk/alerts/${alert.id}/assign`, { body: { assignee: me() } });
    await rerender();
  };
  root.append(table([
    { key: "id", label: "Id", num: true },
    { label: "Player", num: true, render: (a) => h("a", { href: `#/player/${a.player_id}`, text: String(a.player_id) }) },
    { key: "rule", label: "Rule" }, { key: "severity", label: "Severity" }, { key: "action", label: "Action" },
    { label: "Raised", render: (a) => when(a.raised_at) },
    { label: "Assignee", render: (a) => (a.assignee === me() ? "you" : a.assignee ||
      h("button", { type: "button", class: "claim", onclick: assign(a), text: "Assign to me" })) },
  ], found.alerts, { id: "alerts-table" }, (a) => a.id));
  for (const alert of found.alerts.filter((a) => a.assignee === me())) {
    root.append(h("section", { id: `alert-${alert.id}` },
      h("h2", { text: `Alert #${alert.id}: ${alert.rule}` }),
      h("pre", { class: "panel", text: JSON.stringify(alert.evidence, null, 2) }),
      decisionForm(`alert-resolve-${alert.id}`, [["dismissed", "Dismiss"], ["confirmed", "Confirm", true]],
        async (outcome, reason) => {
          await api("POST", `/api/staff/risk/alerts/${alert.id}/resolve`, { body: { outcome, reason } });
          await rerender();
        })));
  }
}

export async function renderAml(root) {
  const rerender = () => { root.replaceChildren(); return renderAml(root); };
  const [found, held] = await Promise.all([api("GET", "/api/staff/aml/cases?status=open"), claimsOf("aml")]);
  root.append(h("h1", { text: "AML cases" }));
  if (!found.cases.length) {
    root.append(h("p", { class: "muted", id: "aml-empty", text: "No open cases." }));
    return;
  }
  root.append(table([
    { key: "case_id", label: "Id", num: true },
    { label: "Player", num: true, render: (c) => h("a", { href: `#/player/${c.player_id}`, text: String(c.player_id) }) },
    { key: "rule", label: "Rule" }, { key: "action", label: "Action" }, { key: "reason", label: "Why opened" },
    { label: "Opened", render: (c) => when(c.opened_at) },
    { label: "Claim", render: (c) => claimCell("aml", c.case_id, held.get(c.case_id), rerender) },
  ], found.cases, { id: "aml-table" }, (c) => c.case_id));
  for (const item of found.cases.filter((c) => held.get(c.case_id) === me())) {
    root.append(h("section", { id: `aml-case-${item.case_id}` },
      h("h2", { text: `Case #${item.case_id}: ${item.rule}` }),
      h("pre", { class: "panel", text: JSON.stringify(item.details, null, 2) }),
      decisionForm(`aml-decide-${item.case_id}`, [["clear", "Clear (lift the hold)"], ["confirm", "Confirm (close the account)", true]],
        async (decision, reason) => {
          await api("POST", `/api/staff/aml/cases/${item.case_id}/${decision}`, { body: { reason } });
          await api("POST", `/api/staff/queues/aml/${item.case_id}/release`);
          await rerender();
        })));
  }
}
