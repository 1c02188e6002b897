// A round's provably fair proof and the control that verifies it in this page.

import { el, replace } from "./ui.js";
import { session } from "./session.js";
import { available, verifyRound } from "./fair.js";

const VERDICT_TEXT = {
  match: "MATCH",
  "seed-mismatch": "SEED MISMATCH",
  "outcome-mismatch": "OUTCOME MISMATCH",
  "unknown-game": "UNKNOWN GAME",
};

export function proofList(round) {
  const row = (label, value) => [el("dt", {}, label), el("dd", { class: "mono" }, String(value))];
  return el(
    "dl",
    { class: "proof" },
    row("Round", round.round_id),
    row("Server seed hash", round.proof.server_seed_hash),
    row("Client seed", round.proof.client_seed),
    row("Nonce", round.proof.nonce),
  );
}

/** Shows the verdict of `round` checked against `seedHex` in `target`; returns the verdict. */
export async function showVerdict(target, round, seedHex) {
  replace(target, el("span", { class: "verdict pending" }, "checking…"));
  let result;
  try {
    result = await verifyRound(round, seedHex);
  } catch (error) {
    result = { verdict: "seed-mismatch", detail: error.message };
  }
  replace(
    target,
    el(
      "span",
      { class: `verdict ${result.verdict}`, title: result.detail, dataset: { verdict: result.verdict } },
      VERDICT_TEXT[result.verdict],
    ),
    el("small", { class: "verdict-detail" }, result.detail),
  );
  return result.verdict;
}

/** A "Verify" button when the round's server seed has been revealed in this page. */
export function verifyControl(round) {
  const out = el("div", { class: "verify" });
  const seed = session.revealedSeeds.get(round.proof.server_seed_hash);
  if (!available()) {
    replace(out, el("small", {}, "Verification needs WebCrypto: open the page over https or on localhost."));
  } else if (seed) {
    const button = el(
      "button",
      { type: "button", class: "secondary", dataset: { verify: round.round_id } },
      "Verify",
    );
    button.addEventListener("click", () => showVerdict(out, round, seed));
    replace(out, button);
  } else {
    replace(
      out,
      el("small", {}, "The server seed is still secret. Rotate it on "),
      el("a", { href: "#/fair" }, "Fair play"),
      el("small", {}, " to reveal it, then verify."),
    );
  }
  return out;
}
