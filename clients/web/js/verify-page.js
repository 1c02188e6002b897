// The stand-alone verifier (verify.html): a player's exported rounds, read from a file they
// saved, checked against the revealed server seeds in the file or pasted here. It makes no
// request at all: js/verifier.js bundles this file with the algorithm it needs, so the page
// also works opened from disk. The export format is in docs/players/provably-fair.md.

import { hexToBytes, sha256Hex, verifyRound } from "./fair.js";
import { showVerdicts } from "./verdict-list.js";

export const EXPORT_FORMAT = "casino-rounds/1";

/** The rounds and seeds of an export, or an Error saying why the text is not one. */
export function parseExport(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("the file is not JSON");
  }
  if (!data || data.format !== EXPORT_FORMAT || !Array.isArray(data.rounds)) {
    throw new Error(`the file is not a round export (format "${EXPORT_FORMAT}")`);
  }
  return { rounds: data.rounds, seeds: data.server_seeds || {} };
}

/** Seeds by their SHA-256: those in the export, plus any pasted (one per line). */
export async function seedsByHash(fromExport, pasted) {
  const seeds = new Map(Object.entries(fromExport));
  for (const line of String(pasted || "").split(/\s+/)) {
    if (!line) continue;
    seeds.set(await sha256Hex(hexToBytes(line)), line.toLowerCase());
  }
  return seeds;
}

/** Every settled round of an export checked; a round whose seed is unknown is "seed-missing". */
export async function verifyExport(rounds, seeds) {
  const results = [];
  for (const round of rounds.filter((r) => r.status === "settled")) {
    const seed = seeds.get(round.proof.server_seed_hash);
    if (!seed) {
      results.push({ round, verdict: "seed-missing", detail: `no revealed seed for ${round.proof.server_seed_hash}` });
      continue;
    }
    let result;
    try {
      result = await verifyRound(round, seed);
    } catch (error) {
      result = { verdict: "seed-mismatch", detail: error.message };
    }
    results.push({ round, verdict: result.verdict, detail: result.detail });
  }
  return results;
}

function start() {
  const form = document.getElementById("verify-form");
  if (!form) return;
  const file = document.getElementById("export-file");
  const pasted = document.getElementById("extra-seeds");
  const results = document.getElementById("verify-results");
  const problem = document.getElementById("verify-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    results.replaceChildren();
    problem.textContent = "";
    try {
      if (!globalThis.crypto?.subtle) throw new Error("this browser has no WebCrypto here");
      if (!file.files.length) throw new Error("choose the exported file first");
      const { rounds, seeds } = parseExport(await file.files[0].text());
      const checked = await verifyExport(rounds, await seedsByHash(seeds, pasted.value));
      if (!checked.length) throw new Error("the file holds no settled round");
      showVerdicts(results, checked);
    } catch (error) {
      problem.textContent = error.message;
    }
  });
}

if (typeof document !== "undefined") start();
