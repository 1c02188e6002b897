// Identity checks: the player's KYC level and status, what their country needs and why,
// document uploads, and the vendor's or staff's answer as it arrives (a `kyc_changed` push;
// the page then reads the status again, so a missed push only delays the update).

import { el, replace, notify } from "../ui.js";
import { api } from "../http.js";
import { session } from "../session.js";

const LEVELS = ["registered", "identity verified", "address and source of funds verified"];
const KINDS = [
  ["id", "Identity document (passport, ID card, driving licence)"],
  ["address", "Proof of address (utility bill, bank statement)"],
  ["payment", "Payment method (card or bank statement in your name)"],
];

function amountText(minor) {
  return (minor / 100).toFixed(2);
}

function statusBlock(state) {
  const rejected = state.kyc_status === "rejected";
  return el(
    "div",
    { class: "kyc-state", id: "kyc-state", dataset: { status: state.kyc_status, level: String(state.level) } },
    el("p", {}, "Level ", el("strong", { id: "kyc-level" }, `${state.level} · ${LEVELS[state.level]}`)),
    el("p", {}, "Status ", el("strong", { id: "kyc-status" }, state.kyc_status)),
    rejected && state.message ? el("p", { id: "kyc-message", class: "notice error" }, state.message) : null,
    rejected && state.reject_type === "RETRY"
      ? el("p", { class: "meta" }, "You can upload a better document below.")
      : null,
    rejected && state.reject_type === "FINAL"
      ? el("p", { class: "meta" }, "This decision is final; contact support if you think it is wrong.")
      : null,
  );
}

function needsBlock(state) {
  return el(
    "ul",
    { id: "kyc-needs" },
    state.needs.map((need) =>
      el(
        "li",
        { class: state.level >= need.level ? "met" : "unmet" },
        `${need.action === "withdraw" ? "Withdrawals" : "Deposits"}`,
        need.above !== undefined ? ` above ${amountText(need.above)}` : "",
        ` need level ${need.level} (${LEVELS[need.level]}) in ${state.country}: ${need.why}.`,
      ),
    ),
  );
}

function uploadForm(refresh) {
  const kind = el("select", { name: "kind" }, KINDS.map(([value, label]) => el("option", { value }, label)));
  const file = el("input", { type: "file", name: "file", accept: "application/pdf,image/jpeg,image/png", required: true });
  const name = el("input", { name: "name", placeholder: "Your full legal name", autocomplete: "name" });
  const holder = el("input", { name: "holder", placeholder: "Name on the payment method" });
  const form = el(
    "form",
    { id: "kyc-upload", class: "stack" },
    el("label", {}, "Document ", kind),
    el("label", {}, "File (PDF, JPEG or PNG) ", file),
    el("label", {}, "Legal name (with an identity document) ", name),
    el("label", {}, "Holder name (with a payment method) ", holder),
    el("button", { type: "submit", class: "primary" }, "Upload"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    const params = new URLSearchParams({ kind: kind.value, filename: chosen.name });
    if (name.value.trim()) params.set("name", name.value.trim());
    if (holder.value.trim()) params.set("holder", holder.value.trim());
    try {
      const response = await fetch(`/api/kyc/documents?${params}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "application/octet-stream" },
        body: chosen,
        cache: "no-store",
        credentials: "omit",
      });
      const data = await response.json();
      if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
      notify("Document received: we are checking it.", "success");
      form.reset();
      await refresh();
    } catch (error) {
      notify(`Upload failed: ${error.message}`, "error");
    }
  });
  return form;
}

export async function renderKyc(container) {
  const state = el("div", { id: "kyc-live" });
  const refresh = async () => {
    try {
      const found = await api("GET", "/api/kyc/status", { token: session.token });
      replace(state, statusBlock(found), el("h2", {}, "What your country needs"), needsBlock(found));
    } catch (error) {
      notify(`Your verification status cannot be loaded: ${error.message}`, "error");
    }
  };
  replace(
    container,
    el(
      "section",
      { class: "panel" },
      el("h1", {}, "Verification"),
      el("p", { class: "meta" }, "We must know who you are before you withdraw, and more for large deposits."),
      state,
      el("h2", {}, "Upload a document"),
      uploadForm(refresh),
    ),
  );
  const onPush = (event) => {
    if (event.detail.type !== "kyc_changed") return;
    if (!container.isConnected || container.dataset.screen !== "kyc") {
      session.removeEventListener("push", onPush);
      return;
    }
    refresh();
  };
  session.addEventListener("push", onPush);
  await refresh();
}
