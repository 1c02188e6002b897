// Every game's round replayed from its seeds and inputs, in the browser, from the published
// algorithm (docs/players/provably-fair.md and the game rules page), not from the server's
// Python: tests replay the same known-answer rounds here and in Python, so a bug in either
// is caught by the other.
//
// replayRound(game, stream, inputs) returns what the draws decide: a slot's stops and the
// symbols they show (every free spin too), roulette's pocket, every card of a blackjack or
// baccarat round, and for the table games the payout those cards and bets give.
// compareReplay(round, replayed) names the first field where the recorded outcome differs.

import { MACHINES } from "./machines.js";

const RANKS = "A23456789TJQK";
const SUITS = "SHDC";

export function cardName(card) {
  return RANKS[card % 13] + SUITS[Math.floor(card / 13)];
}

const rank = (card) => card % 13;

function shoe(decks) {
  const cards = [];
  for (let d = 0; d < decks; d += 1) for (let c = 0; c < 52; c += 1) cards.push(c);
  return cards;
}

// --- Slots --------------------------------------------------------------------------------

function windowOf(machine, stops) {
  return stops.map((stop, reel) => {
    const strip = machine.strips[reel];
    return Array.from({ length: machine.rows }, (_, row) => strip[(stop + row) % strip.length]);
  });
}

async function drawStops(machine, stream) {
  const stops = [];
  for (const strip of machine.strips) stops.push(await stream.randbelow(strip.length));
  return stops;
}

async function classicSevens(stream) {
  const machine = MACHINES["classic-sevens"];
  const stops = await drawStops(machine, stream);
  return { stops, grid: windowOf(machine, stops) };
}

// Crown Jewels: three or more scatters anywhere in the window award 10 more free spins, and
// every free spin, in play order, takes the next five stops.
const FREE_SPINS_AWARDED = 10;
const SCATTERS_FOR_FREE_SPINS = 3;

async function crownJewels(stream) {
  const machine = MACHINES["crown-jewels"];
  const spins = [];
  let left = 1; // the base spin, then every free spin it earns
  while (left > 0) {
    const stops = await drawStops(machine, stream);
    const grid = windowOf(machine, stops);
    const scatters = grid.flat().filter((symbol) => symbol === "SCATTER").length;
    const awarded = scatters >= SCATTERS_FOR_FREE_SPINS ? FREE_SPINS_AWARDED : 0;
    spins.push({ stops, grid, scatters, free_spins_awarded: awarded });
    left += awarded - 1;
  }
  return { spins };
}

// --- Roulette -----------------------------------------------------------------------------

// A bet covering n numbers pays 36 / n - 1 to 1; dozens and columns name an index 1 to 3,
// even-money bets name nothing, inside bets list their numbers.
const RED = new Set([1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]);
const range = (from, to, step = 1) => {
  const out = [];
  for (let n = from; n < to; n += step) out.push(n);
  return out;
};
const EVEN_MONEY = {
  red: [...RED],
  black: range(1, 37).filter((n) => !RED.has(n)),
  odd: range(1, 37, 2),
  even: range(2, 37, 2),
  low: range(1, 19),
  high: range(19, 37),
};

function covered(bet) {
  if (bet.type === "dozen") return range(12 * (bet.index - 1) + 1, 12 * bet.index + 1);
  if (bet.type === "column") return range(bet.index, 37, 3);
  if (bet.type in EVEN_MONEY) return EVEN_MONEY[bet.type];
  return bet.numbers;
}

async function roulette(stream, inputs) {
  const pocket = await stream.randbelow(37);
  let payout = 0;
  for (const bet of inputs.options.bets) {
    const numbers = covered(bet);
    if (numbers.includes(pocket)) payout += bet.amount * Math.floor(36 / numbers.length);
  }
  return { pocket, payout };
}

// --- Blackjack ----------------------------------------------------------------------------

// House rules: 6 decks shuffled for every round; the dealer peeks under an ace (after the
// insurance decision) or a ten-valued card; a natural on either side ends the round; the
// dealer stands on soft 17 and draws nothing when every hand has busted; a split hand takes
// its second card when play reaches it; split aces take one card each; a hand on 21 stands.
// Blackjack pays 3:2, insurance (half the stake) 2:1; 21 after a split is not a blackjack.
const points = (card) => Math.min(rank(card) + 1, 10);

function total(cards) {
  const hard = cards.reduce((sum, card) => sum + points(card), 0);
  return hard <= 11 && cards.some((card) => rank(card) === 0) ? hard + 10 : hard;
}

const natural = (cards) => cards.length === 2 && total(cards) === 21;

class BlackjackTable {
  constructor(cards, stake) {
    this.shoe = cards;
    this.dealt = 4;
    this.stake = stake;
    this.hands = [{ cards: [cards[0], cards[2]], stake, split: false, done: false }];
    this.dealer = [cards[1], cards[3]];
    this.active = 0;
    this.insurance = 0;
    this.settled = false;
    this.awaitingInsurance = rank(this.dealer[0]) === 0;
    if (!this.awaitingInsurance) this.peek();
  }

  draw() {
    if (this.dealt >= this.shoe.length) throw new Error("the shoe ran out");
    const card = this.shoe[this.dealt];
    this.dealt += 1;
    return card;
  }

  peek() {
    if (natural(this.dealer) || natural(this.hands[0].cards)) {
      this.hands[0].done = true;
      this.settled = true;
    }
  }

  standIfFinal(hand) {
    hand.done = (hand.split && rank(hand.cards[0]) === 0) || total(hand.cards) >= 21;
  }

  act(action) {
    if (this.settled) throw new Error(`${action} after the round settled`);
    if (this.awaitingInsurance) {
      if (action !== "insurance" && action !== "no_insurance") throw new Error(`${action} before insurance`);
      if (action === "insurance") this.insurance = Math.floor(this.stake / 2);
      this.awaitingInsurance = false;
      this.peek();
      return;
    }
    const hand = this.hands[this.active];
    const firstTwo = hand.cards.length === 2;
    if (action === "double" && !firstTwo) throw new Error("a double needs a hand's first two cards");
    if (action === "split") {
      const pair = firstTwo && points(hand.cards[0]) === points(hand.cards[1]);
      const splitAces = hand.split && rank(hand.cards[0]) === 0;
      if (!pair || this.hands.length >= 4 || splitAces) throw new Error("this hand cannot be split");
    }
    if (action === "stand") {
      hand.done = true;
    } else if (action === "hit") {
      hand.cards.push(this.draw());
      hand.done = total(hand.cards) >= 21;
    } else if (action === "double") {
      hand.cards.push(this.draw());
      hand.stake *= 2;
      hand.doubled = true;
      hand.done = true;
    } else if (action === "split") {
      const [first, second] = hand.cards;
      const left = { cards: [first, this.draw()], stake: hand.stake, split: true, done: false };
      const right = { cards: [second], stake: hand.stake, split: true, done: false };
      this.standIfFinal(left);
      this.hands.splice(this.active, 1, left, right);
    } else {
      throw new Error(`${action} is not a blackjack action`);
    }
    this.advance();
  }

  advance() {
    for (let index = this.active; index < this.hands.length; index += 1) {
      const hand = this.hands[index];
      if (hand.cards.length === 1) {
        hand.cards.push(this.draw());
        this.standIfFinal(hand);
      }
      if (!hand.done) {
        this.active = index;
        return;
      }
    }
    this.active = this.hands.length - 1;
    if (this.hands.some((hand) => total(hand.cards) <= 21)) {
      while (total(this.dealer) < 17) this.dealer.push(this.draw());
    }
    this.settled = true;
  }

  handReturns(hand) {
    const blackjack = natural(hand.cards) && !hand.split;
    if (natural(this.dealer)) return blackjack ? hand.stake : 0;
    if (blackjack) return Math.floor((hand.stake * 5) / 2);
    const mine = total(hand.cards);
    if (mine > 21) return 0;
    const dealer = total(this.dealer);
    if (dealer > 21 || mine > dealer) return hand.stake * 2;
    return mine === dealer ? hand.stake : 0;
  }

  payout() {
    const insurance = natural(this.dealer) ? this.insurance * 3 : 0;
    return this.hands.reduce((sum, hand) => sum + this.handReturns(hand), insurance);
  }
}

async function blackjack(stream, inputs) {
  const cards = shoe(6);
  for (let i = cards.length - 1; i > 0; i -= 1) {
    const j = await stream.randbelow(i + 1);
    [cards[i], cards[j]] = [cards[j], cards[i]];
  }
  const table = new BlackjackTable(cards, inputs.stake);
  for (const action of inputs.actions || []) table.act(action);
  if (!table.settled) throw new Error("the recorded actions leave the hand unfinished");
  return {
    hands: table.hands.map((hand) => hand.cards.map(cardName)),
    dealer: table.dealer.map(cardName),
    payout: table.payout(),
  };
}

// --- Punto Banco --------------------------------------------------------------------------

const baccaratPoints = (card) => (rank(card) + 1 < 10 ? rank(card) + 1 : 0);
const ODDS = { banker: [95, 100], player: [1, 1], tie: [8, 1] };

function bankerDraws(banker, playerThird) {
  if (playerThird === null) return banker <= 5;
  if (banker <= 2) return true;
  if (banker === 3) return playerThird !== 8;
  if (banker === 4) return playerThird >= 2 && playerThird <= 7;
  if (banker === 5) return playerThird >= 4 && playerThird <= 7;
  if (banker === 6) return playerThird === 6 || playerThird === 7;
  return false;
}

async function puntoBanco(stream, inputs) {
  const cards = shoe(8);
  for (let i = 0; i < 6; i += 1) {
    const j = i + (await stream.randbelow(cards.length - i));
    [cards[i], cards[j]] = [cards[j], cards[i]];
  }
  const top = cards.slice(0, 6);
  const pts = top.map(baccaratPoints);
  const player = [top[0], top[2]];
  const banker = [top[1], top[3]];
  const p = (pts[0] + pts[2]) % 10;
  const b = (pts[1] + pts[3]) % 10;
  if (p < 8 && b < 8) {
    if (p <= 5) {
      player.push(top[4]);
      if (bankerDraws(b, pts[4])) banker.push(top[5]);
    } else if (bankerDraws(b, null)) {
      banker.push(top[4]);
    }
  }
  const sum = (hand) => hand.reduce((s, card) => s + baccaratPoints(card), 0) % 10;
  const pt = sum(player);
  const bt = sum(banker);
  const result = pt > bt ? "player" : bt > pt ? "banker" : "tie";
  const { bet } = inputs.options;
  const [num, den] = ODDS[bet];
  let payout = 0;
  if (result === bet) payout = inputs.stake + (inputs.stake * num) / den;
  else if (result === "tie") payout = inputs.stake;
  return { player: player.map(cardName), banker: banker.map(cardName), result, payout };
}

const GAMES = {
  "classic-sevens": classicSevens,
  "crown-jewels": crownJewels,
  "european-roulette": roulette,
  blackjack,
  "punto-banco": puntoBanco,
};

export const REPLAYED_GAMES = Object.keys(GAMES);

/** What a round's draws decide, replayed from its stream and inputs; null for an unknown game. */
export async function replayRound(game, stream, inputs) {
  const replay = GAMES[game];
  return replay ? replay(stream, inputs || {}) : null;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** What the round recorded for the same fields `replayRound` gives. */
export function recordedFields(round) {
  const outcome = round.outcome || {};
  switch (round.game) {
    case "classic-sevens":
      return { stops: outcome.stops, grid: outcome.grid };
    case "crown-jewels":
      return {
        spins: (outcome.spins || []).map((spin) => ({
          stops: spin.stops,
          grid: spin.grid,
          scatters: spin.scatters,
          free_spins_awarded: spin.free_spins_awarded,
        })),
      };
    case "european-roulette":
      return { pocket: outcome.pocket, payout: round.payout };
    case "blackjack":
      return {
        hands: (outcome.hands || []).map((hand) => hand.cards),
        dealer: outcome.dealer,
        payout: round.payout,
      };
    case "punto-banco":
      return {
        player: outcome.player,
        banker: outcome.banker,
        result: outcome.result,
        payout: round.payout,
      };
    default:
      return null;
  }
}

/** The first field where `replayed` and the recorded round differ, or null when all agree. */
export function firstDifference(round, replayed) {
  const recorded = recordedFields(round);
  for (const key of Object.keys(replayed)) {
    if (!same(replayed[key], recorded[key])) {
      return { field: key, replayed: replayed[key], recorded: recorded[key] };
    }
  }
  return null;
}

/** One line saying what the replay reproduced, for a matching round. */
export function summary(game, replayed) {
  switch (game) {
    case "classic-sevens":
      return `stops ${replayed.stops.join(", ")}`;
    case "crown-jewels":
      return `${replayed.spins.length} spin(s), stops ${replayed.spins.map((s) => s.stops.join(" ")).join(" | ")}`;
    case "european-roulette":
      return `pocket ${replayed.pocket}, pays ${replayed.payout}`;
    case "blackjack":
      return `hands ${replayed.hands.map((h) => h.join(" ")).join(" | ")}; dealer ${replayed.dealer.join(" ")}; pays ${replayed.payout}`;
    case "punto-banco":
      return `player ${replayed.player.join(" ")}, banker ${replayed.banker.join(" ")}: ${replayed.result}, pays ${replayed.payout}`;
    default:
      return "";
  }
}
