// Provably fair verification in the browser, with WebCrypto, independent of the server.
//
// The algorithm (rng/fair.py states it): a round's byte stream is the concatenation of
// HMAC-SHA256(key = server seed, message = "{client_seed}:{nonce}:{counter}") for
// counter = 0, 1, 2, ...; randbelow(n) takes k = bit_length(n - 1) bits from the top of the
// next ceil(k / 8) bytes (big-endian) and retries while the value is >= n. Each game's
// draws from that stream are in replay.js.

import { MACHINES } from "./machines.js";
import { firstDifference, replayRound, summary } from "./replay.js";

const encoder = new TextEncoder();

export function available() {
  return Boolean(globalThis.crypto && crypto.subtle);
}

export function hexToBytes(hex) {
  const clean = String(hex).trim().toLowerCase();
  if (!/^([0-9a-f]{2})+$/.test(clean)) throw new Error("a server seed is written in hex digits");
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The byte stream of one round, consumed strictly in order. */
export class FairStream {
  constructor(serverSeed, clientSeed, nonce) {
    this.serverSeed = serverSeed;
    this.prefix = `${clientSeed}:${nonce}:`;
    this.counter = 0;
    this.pending = new Uint8Array(0);
    this.key = null;
  }

  async bytes(n) {
    if (!this.key) {
      this.key = await crypto.subtle.importKey(
        "raw",
        this.serverSeed,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
    }
    while (this.pending.length < n) {
      const message = encoder.encode(this.prefix + this.counter);
      const block = new Uint8Array(await crypto.subtle.sign("HMAC", this.key, message));
      this.counter += 1;
      const joined = new Uint8Array(this.pending.length + block.length);
      joined.set(this.pending);
      joined.set(block, this.pending.length);
      this.pending = joined;
    }
    const chunk = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    return chunk;
  }

  /** A uniform integer in [0, n) by rejection, exactly as rng.generator.Generator.randbelow. */
  async randbelow(n) {
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error("randbelow needs a positive bound");
    if (n === 1) return 0;
    const k = (n - 1).toString(2).length;
    const size = Math.ceil(k / 8);
    for (;;) {
      let value = 0n;
      for (const byte of await this.bytes(size)) value = (value << 8n) | BigInt(byte);
      value >>= BigInt(size * 8 - k);
      if (value < BigInt(n)) return Number(value);
    }
  }
}

/** Classic Sevens' reel stops for a round, replayed from its seeds. */
export async function replayClassicStops(serverSeed, clientSeed, nonce) {
  const stream = new FairStream(serverSeed, clientSeed, nonce);
  const stops = [];
  for (const strip of MACHINES["classic-sevens"].strips) stops.push(await stream.randbelow(strip.length));
  return stops;
}

/**
 * Verify a settled round (a history entry, or an exported one) against a revealed server
 * seed (hex): the seed must hash to the round's commitment, and the round's draws, replayed
 * from the seed, client seed, nonce and inputs, must give its recorded outcome.
 * verdict: "match", "seed-mismatch", "outcome-mismatch" or "unknown-game".
 */
export async function verifyRound(round, serverSeedHex) {
  const seed = hexToBytes(serverSeedHex);
  const hash = await sha256Hex(seed);
  if (seed.length !== 32 || hash !== round.proof.server_seed_hash) {
    return { verdict: "seed-mismatch", detail: `SHA-256 of the seed is ${hash}` };
  }
  const stream = new FairStream(seed, round.proof.client_seed, round.proof.nonce);
  let replayed;
  try {
    replayed = await replayRound(round.game, stream, round.inputs);
  } catch (error) {
    return { verdict: "outcome-mismatch", detail: `the inputs do not replay: ${error.message}` };
  }
  if (replayed === null) {
    return { verdict: "unknown-game", detail: `this page does not know the game ${round.game}` };
  }
  const difference = firstDifference(round, replayed);
  if (difference) {
    const shown = (value) => JSON.stringify(value);
    return {
      verdict: "outcome-mismatch",
      detail: `${difference.field}: replayed ${shown(difference.replayed)}, recorded ${shown(difference.recorded)}`,
    };
  }
  return { verdict: "match", detail: `replayed ${summary(round.game, replayed)} = recorded`, replayed };
}
