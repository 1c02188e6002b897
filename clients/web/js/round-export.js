// The player's rounds as a file for the stand-alone verifier (verify.html): every round the
// history gives, and the revealed server seeds this page knows for them. The format
// ("casino-rounds/1") is documented in docs/players/provably-fair.md.

import { session } from "./session.js";
import { EXPORT_FORMAT } from "./verify-page.js";

/** Every round of the player's history, newest first, page after page (100 a page). */
export async function allRounds() {
  const rounds = [];
  let cursor = null;
  do {
    const reply = await session.request("history", cursor ? { limit: 100, cursor } : { limit: 100 });
    rounds.push(...reply.rounds);
    cursor = reply.next_cursor;
  } while (cursor);
  return rounds;
}

/** The export document for `rounds`, with the seeds (by hash) that committed to them. */
export function exportDocument(rounds, revealedSeeds) {
  const hashes = new Set(rounds.map((round) => round.proof.server_seed_hash));
  const seeds = {};
  for (const [hash, seed] of revealedSeeds) if (hashes.has(hash)) seeds[hash] = seed;
  return { format: EXPORT_FORMAT, exported_at: new Date().toISOString(), rounds, server_seeds: seeds };
}

/** Hands the document to the browser as a download. */
export function download(document_) {
  const blob = new Blob([JSON.stringify(document_, null, 1)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `casino-rounds-${document_.exported_at.slice(0, 10)}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
