// Fair play: the committed server seed hash, the client seed (the player may set it), the
// rotation that reveals the old server seed, and the check of every round played with it.

import { el, replace, notify, busy } from "../ui.js";
import { session } from "../session.js";
import { outcomeNode } from "../outcome.js";
import { available, hexToBytes, sha256Hex, verifyRound } from "../fair.js";
import { showVerdicts } from "../verdict-list.js";
import { allRounds } from "../round-export.js";

function seedsView(seeds) {
  const row = (label, value, id) => [el("dt", {}, label), el("dd", { class: "mono", id }, String(value))];
  return el(
    "dl",
    { class: "proof" },
    row("Server seed hash (commitment)", seeds.server_seed_hash, "seed-hash"),
    row("Client seed", seeds.client_seed, "client-seed"),
    row("Next nonce", seeds.nonce, "nonce"),
  );
}

function randomClientSeed() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, "x");
}

/**
 * Verifies, with `seedHex`, every round of the history committed to by its hash: a summary,
 * then the rounds (those that failed open). Whatever was shown before goes first, so a seed
 * that is not one leaves no earlier verdicts on the page.
 */
async function verifyAll(target, seedHex) {
  target.replaceChildren();
  let hash;
  try {
    hash = await sha256Hex(hexToBytes(seedHex));
  } catch (error) {
    replace(target, el("p", { class: "verify-error", id: "verify-error", role: "alert" }, error.message));
    return;
  }
  const rounds = (await allRounds()).filter(
    (round) => round.status === "settled" && round.proof.server_seed_hash === hash,
  );
  if (!rounds.length) {
    replace(
      target,
      el("p", { class: "meta", id: "no-rounds" }, `None of your settled rounds was committed to ${hash}.`),
    );
    return;
  }
  replace(target, el("p", { class: "meta" }, `Replaying ${rounds.length} rounds…`));
  const results = [];
  for (const round of rounds) {
    let result;
    try {
      result = await verifyRound(round, seedHex);
    } catch (error) {
      result = { verdict: "seed-mismatch", detail: error.message };
    }
    results.push({ round, verdict: result.verdict, detail: result.detail });
  }
  showVerdicts(target, results, (round) => el("div", { class: "round-outcome" }, outcomeNode(round)));
}

export async function renderFairness(container) {
  const current = el("div", {}, "Loading…");
  const clientSeed = el("input", {
    name: "client_seed",
    maxlength: 64,
    "aria-label": "client seed",
    placeholder: "1-64 printable characters, no ':'",
  });
  const saveButton = el("button", { type: "submit", class: "primary" }, "Use this client seed");
  const randomButton = el("button", { type: "button", class: "secondary" }, "Random");
  const rotateButton = el("button", { type: "button", class: "primary", id: "rotate" }, "Rotate server seed");
  const revealed = el("div", { class: "revealed", id: "revealed" });
  const seedInput = el("input", {
    name: "server_seed",
    class: "mono",
    "aria-label": "revealed server seed",
    placeholder: "revealed server seed (64 hex digits)",
  });
  const verifyButton = el(
    "button",
    { type: "submit", class: "primary", id: "verify-all" },
    "Verify my rounds",
  );
  const results = el("div", { id: "verify-results" });

  const showSeeds = (seeds) => {
    replace(current, seedsView(seeds));
    if (document.activeElement !== clientSeed) clientSeed.value = seeds.client_seed;
  };

  const clientForm = el("form", { class: "row-form" }, clientSeed, randomButton, saveButton);
  clientForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(saveButton, async () => {
      showSeeds(await session.request("set_client_seed", { client_seed: clientSeed.value }));
      notify("Client seed set: it applies from the next round.", "success");
    });
  });
  randomButton.addEventListener("click", () => {
    clientSeed.value = randomClientSeed();
  });

  rotateButton.addEventListener("click", () =>
    busy(rotateButton, async () => {
      const seeds = await session.request("rotate_seed");
      showSeeds(seeds);
      if (seeds.revealed_server_seed) {
        session.revealedSeeds.set(seeds.revealed_seed_hash, seeds.revealed_server_seed);
        seedInput.value = seeds.revealed_server_seed;
        replace(
          revealed,
          el(
            "dl",
            { class: "proof" },
            el("dt", {}, "Revealed server seed"),
            el("dd", { class: "mono", id: "revealed-seed" }, seeds.revealed_server_seed),
            el("dt", {}, "It was committed as"),
            el("dd", { class: "mono" }, seeds.revealed_seed_hash),
          ),
        );
      }
      notify("New server seed in play; the old one is revealed below.", "success");
    }),
  );

  const verifyForm = el("form", { class: "row-form" }, seedInput, verifyButton);
  verifyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(verifyButton, () => verifyAll(results, seedInput.value.trim().toLowerCase()));
  });

  replace(
    container,
    el(
      "section",
      { class: "fairness" },
      el(
        "div",
        { class: "panel" },
        el("h1", {}, "Fair play"),
        el(
          "p",
          { class: "meta" },
          "Before you play, the server commits to a secret seed by showing its SHA-256 hash. Each round's result comes from that seed, your client seed and the round's nonce. Rotate the seed to reveal it and check every round played with it, here in your browser.",
        ),
        current,
        clientForm,
      ),
      el(
        "div",
        { class: "panel" },
        el("h2", {}, "Reveal and verify"),
        el("div", { class: "row-form" }, rotateButton),
        revealed,
        verifyForm,
        available()
          ? null
          : el(
              "p",
              { class: "meta" },
              "Verification needs WebCrypto: open the page over https or on localhost.",
            ),
        results,
      ),
      el(
        "div",
        { class: "panel" },
        el("h2", {}, "How a round is computed"),
        el(
          "ol",
          { class: "algorithm" },
          el(
            "li",
            {},
            'Bytes: HMAC-SHA256 with the server seed as key over "client_seed:nonce:0", then ":1", ":2", … joined in order.',
          ),
          el(
            "li",
            {},
            "A number below n: take k = bits of n − 1, read ⌈k/8⌉ bytes big-endian, keep the top k bits; retry while ≥ n.",
          ),
          el(
            "li",
            {},
            "Each game reads that stream in its published way: slot reel stops (and every free spin), the roulette pocket, a shuffled blackjack shoe dealt as your actions ask, the top six cards of a baccarat shoe. This page replays every round of every game from those draws and your inputs, with no help from the server.",
          ),
        ),
      ),
    ),
  );

  try {
    showSeeds(await session.request("seeds"));
  } catch (error) {
    notify(error.message, "error");
  }
}
