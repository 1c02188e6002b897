// The audit trail viewer: entries newest first, a page at a time, and "verify chain", which
// walks the whole hash chain on the server and says whether it holds or where it breaks.

import { h, table, when } from "./dom.js";
import { api } from "./http.js";

export const PAGE_SIZE = 20;

export async function renderAudit(root, [before = ""]) {
  const verdict = h("p", { id: "audit-verdict", role: "status", hidden: true });
  const verify = h("button", { type: "button", id: "audit-verify", text: "Verify chain" });
  verify.addEventListener("click", async () => {
    verify.disabled = true;
    try {
      const found = await api("GET", "/api/staff/audit/verify");
      verdict.textContent = found.ok
        ? `Chain intact: ${found.entries} entries, head ${found.head}`
        : `Chain broken at entry ${found.broken_at}: ${found.problem}`;
      verdict.className = found.ok ? "ok" : "error";
      verdict.hidden = false;
    } finally {
      verify.disabled = false;
    }
  });
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (before) query.set("before", before);
  const page = await api("GET", `/api/staff/audit?${query}`);
  root.append(h("h1", { text: "Audit trail" }), h("div", { class: "row panel" }, verify, verdict),
    table([
      { key: "id", label: "Id", num: true }, { label: "When", render: (e) => when(e.at_ms) },
      { key: "actor", label: "Who" }, { key: "action", label: "What" }, { key: "subject", label: "Subject" },
      { key: "reason", label: "Why" }, { key: "address", label: "From" },
      { label: "Details", render: (e) => (Object.keys(e.details).length ? JSON.stringify(e.details) : "") },
    ], page.entries, { id: "audit-table" }, (e) => e.id),
    h("div", { class: "row" },
      before ? h("a", { href: "#/audit", id: "audit-newest", text: "Newest" }) : null,
      page.before ? h("a", { href: `#/audit/${page.before}`, id: "audit-older", text: "Older" }) : null));
}
