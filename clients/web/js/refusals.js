// Money refusals that ask something of the player (identity checks, due diligence, a compliance
// hold, a large withdrawal's staff approval, a closed account's closed loop), in plain sentences under the form that was refused,
// with a link to the Verification screen where verifying is the way forward. The words depend
// only on the refusal's code and its fields (`required`, `level`, `gateways`), never on its
// message, which is written for developers. Any other refusal stays a short notice.

import { el } from "./ui.js";

const LEVEL_WORDS = {
  1: "a verified identity",
  2: "a verified address and source of funds",
};

const GATEWAY_WORDS = {
  sandbox: "the sandbox deposit",
  sandbox_gateway: "your card or e-wallet",
};

function kycSentence(details, what) {
  const needed = LEVEL_WORDS[details.required] || `verification level ${details.required}`;
  return `This ${what} needs ${needed}, and your account is at verification level ${details.level ?? 0}. Upload your documents on the Verification page; once they are approved, try again.`;
}

const SENTENCES = {
  KYC_REQUIRED: (details, what) => ({ text: kycSentence(details, what), verify: true }),
  CDD_REQUIRED: () => ({
    text: "Your payments together reach EUR 2,000, so the law asks us to check your address and the source of your funds before you withdraw. Upload a proof of address on the Verification page; nothing has been taken from your balance.",
    verify: true,
  }),
  AML_REVIEW_REQUIRED: () => ({
    text: "Withdrawals from your account are on hold while our compliance team reviews it. Nothing has been taken from your balance; we will contact you by email.",
    verify: false,
  }),
  WITHDRAWAL_APPROVAL_REQUIRED: () => ({
    text: "A withdrawal of this size is checked by two members of our payments team before it is paid. Nothing has been taken from your balance; once it is approved, withdraw the same amount again.",
    verify: false,
  }),
  CLOSED_LOOP_ONLY: (details) => {
    const ways = (details.gateways || []).map((g) => GATEWAY_WORDS[g] || g.replace(/_/g, " "));
    return {
      text: `Your account is closed, so your balance can only go back to a payment method you deposited with${ways.length ? `: ${ways.join(", ")}` : ""}. Choose that method and withdraw again.`,
      verify: false,
    };
  },
};

/** Show `error` (an ApiError) under `form` when it is one of the refusals above, replacing an
 * earlier one; false when it is not (the caller shows its usual notice). `what` names the
 * refused action in words ("deposit", "withdrawal"). */
export function showRefusal(form, error, what) {
  clearRefusal(form);
  const sentence = SENTENCES[error && error.code];
  if (!sentence) return false;
  const { text, verify } = sentence((error && error.details) || {}, what);
  const notice = el(
    "div",
    { class: "notice error refusal", role: "alert", dataset: { code: error.code, refusalFor: form.id } },
    el("p", {}, text),
    verify ? el("a", { href: "#/kyc", class: "button small verify-link" }, "Go to Verification") : null,
  );
  form.after(notice);
  return true;
}

/** Remove the refusal shown under `form`, if any (a new attempt starts clean). */
export function clearRefusal(form) {
  const shown = form.parentNode && form.parentNode.querySelector(`.refusal[data-refusal-for="${form.id}"]`);
  if (shown) shown.remove();
}
