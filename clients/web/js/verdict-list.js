// The results of checking many rounds: a summary ("N verified, M failed") and one entry per
// round, the failed ones open, the verified ones collapsed. Plain DOM only, so the
// stand-alone verifier (verify.html, bundled without modules) shows them the same way.

export const VERDICT_TEXT = {
  match: "MATCH",
  "seed-mismatch": "SEED MISMATCH",
  "outcome-mismatch": "OUTCOME MISMATCH",
  "unknown-game": "UNKNOWN GAME",
  "seed-missing": "SEED NOT REVEALED",
};

function node(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) element.append(child);
  return element;
}

/** "3 verified, 1 failed" from verdicts; rounds whose seed is not revealed yet are apart. */
export function summaryText(verdicts) {
  const verified = verdicts.filter((verdict) => verdict === "match").length;
  const waiting = verdicts.filter((verdict) => verdict === "seed-missing").length;
  const failed = verdicts.length - verified - waiting;
  const text = `${verified} verified, ${failed} failed`;
  return waiting ? `${text}, ${waiting} with a server seed not yet revealed` : text;
}

/**
 * Replaces `target`'s content with the summary and the list of `results`, each
 * {round, verdict, detail}; `describe(round)`, when given, adds a node showing the round.
 */
export function showVerdicts(target, results, describe) {
  const verdicts = results.map((result) => result.verdict);
  const failed = verdicts.filter((verdict) => verdict !== "match" && verdict !== "seed-missing").length;
  const summary = node(
    "p",
    { class: `verify-summary ${failed ? "failed" : "passed"}`, id: "verify-summary", role: "status" },
    summaryText(verdicts),
  );
  summary.dataset.verified = String(verdicts.filter((verdict) => verdict === "match").length);
  summary.dataset.failed = String(failed);
  const list = node("ol", { class: "verified" });
  for (const { round, verdict, detail } of results) {
    const badge = node("span", { class: `verdict ${verdict}`, title: detail }, VERDICT_TEXT[verdict] || verdict);
    badge.dataset.verdict = verdict;
    const head = node("summary", {}, badge, ` ${round.game} · round ${round.round_id} · nonce ${round.proof.nonce}`);
    const body = node("div", { class: "verified-body" }, node("small", { class: "verdict-detail" }, detail));
    if (describe) body.prepend(describe(round));
    const details = node("details", {}, head, body);
    details.open = verdict !== "match";
    const item = node("li", { class: "verified-round" }, details);
    item.dataset.roundId = round.round_id;
    item.dataset.game = round.game;
    list.append(item);
  }
  target.replaceChildren(summary, list);
}
