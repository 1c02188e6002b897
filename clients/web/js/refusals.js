// Money refusals that ask something of the player (identity checks, due diligence, a compliance
// hold, a large withdrawal's staff approval, a closed account's closed loop), in plain sentences
// under the form that was refused, with a link to the Verification screen where verifying is the
// way forward. The sentences are the wording table's (clients/web/messages.json, its `form`
// sentences first): this module words only the values they name (the level asked for, the
// payment methods) and lays the notice out. The words depend only on the refusal's code and its
// fields (`required`, `level`, `gateways`), never on its message, which is written for
// developers. Any other refusal stays a short notice.

import { sentence } from "./messages.js";
import { el } from "./ui.js";

// The codes shown under the form, each with whether verifying is the way forward (the link).
const UNDER_FORM = {
  KYC_REQUIRED: true,
  CDD_REQUIRED: true,
  AML_REVIEW_REQUIRED: false,
  WITHDRAWAL_APPROVAL_REQUIRED: false,
  CLOSED_LOOP_ONLY: false,
};

const LEVEL_WORDS = {
  1: "a verified identity",
  2: "a verified address and source of funds",
};

const GATEWAY_WORDS = {
  sandbox: "the sandbox deposit",
  sandbox_gateway: "your card or e-wallet",
};

/** The values the `form` sentences name, from the refusal's fields and the refused action. */
function formParams(details, what) {
  const ways = (details.gateways || []).map((g) => GATEWAY_WORDS[g] || g.replace(/_/g, " "));
  return {
    ...(details.params || {}),
    what,
    needed: LEVEL_WORDS[details.required] || `verification level ${details.required}`,
    level: details.level ?? 0,
    ...(ways.length ? { methods: ways.join(", ") } : {}),
  };
}

/** Show `error` (an ApiError) under `form` when it is one of the refusals above, replacing an
 * earlier one; false when it is not (the caller shows its usual notice). `what` names the
 * refused action in words ("deposit", "withdrawal"). */
export function showRefusal(form, error, what) {
  clearRefusal(form);
  const code = error && error.code;
  if (!Object.hasOwn(UNDER_FORM, code)) return false;
  const text = sentence(code, formParams(error.details || {}, what), error.message, "form");
  const notice = el(
    "div",
    { class: "notice error refusal", role: "alert", dataset: { code, refusalFor: form.id } },
    el("p", {}, text),
    UNDER_FORM[code] ? el("a", { href: "#/kyc", class: "button small verify-link" }, "Go to Verification") : null,
  );
  form.after(notice);
  return true;
}

/** Remove the refusal shown under `form`, if any (a new attempt starts clean). */
export function clearRefusal(form) {
  const shown = form.parentNode && form.parentNode.querySelector(`.refusal[data-refusal-for="${form.id}"]`);
  if (shown) shown.remove();
}
