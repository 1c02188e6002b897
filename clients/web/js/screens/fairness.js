// Fair play: the committed server seed hash, the client seed (the player may set it), the
// rotation that reveals the old server seed, and the check of every round played with it.

import { el, replace, notify, busy } from "../ui.js";
import { session } from "../session.js";
import { outcomeNode } from "../outcome.js";
import { proofList, showVerdict } from "../proof.js";
import { available, hexToBytes, sha256Hex } from "../fair.js";

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

/** Verifies, with `seedHex`, each of the last 100 rounds committed to by its hash. */
async function verifyAll(target, seedHex) {
  const hash = await sha256Hex(hexToBytes(seedHex));
  const reply = await session.request("history", { limit: 100 });
  const rounds = reply.rounds.filter(
    (round) => round.status === "settled" && round.proof.server_seed_hash === hash,
  );
  if (!rounds.length) {
    replace(
      target,
      el(
        "p",
        { class: "meta", id: "no-rounds" },
        `No settled round among your last 100 was committed to ${hash}.`,
      ),
    );
    return;
  }
  const items = rounds.map((round) => {
    const verdict = el("div", { class: "verify" });
    const item = el(
      "li",
      { class: "verified-round", dataset: { roundId: round.round_id, game: round.game } },
      el("div", { class: "round-outcome" }, outcomeNode(round)),
      el("div", {}, proofList(round), verdict),
    );
    return { item, run: () => showVerdict(verdict, round, seedHex) };
  });
  replace(
    target,
    el(
      "ol",
      { class: "verified" },
      items.map(({ item }) => item),
    ),
  );
  for (const { run } of items) await run();
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
            "Classic Sevens stops each of its three 24-symbol reels, in order, at a number below 24. This page replays those stops; other games show their seed check here and replay with run.py verify.",
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
