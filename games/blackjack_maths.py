"""The return of basic strategy at this table, by a composition-dependent calculation of the shoe.

What is exact: every first deal (dealer up card and the player's two cards) is
weighed by its exact probability from six decks; the dealer's peek is exact
(the hole card is conditioned on not making blackjack, both for the dealer's
drawing and for the cards the player sees next); the player's draws come
without replacement from the shoe less every card the player has seen.

What is approximated, the usual simplifications of published calculators:
the dealer's final total is computed from the shoe less the three first-deal
cards only, ignoring the player's later draws (an effect of order 0.01 %); a
split hand ignores the cards of its sister hands, and the number of resplits
takes the probability of pairing from the first split. Because the dealer's
total does not depend on the player's later draws, every distribution is kept
per dealer ending (17 to 21, bust): the hands of a split are independent given
the dealer's ending and are combined that way, so the variance counts that all
of them face the same dealer. The strategy is `games.blackjack_strategy`, the
one the simulation plays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from games.blackjack_rules import DECKS, MAX_HANDS, Action
from games.blackjack_strategy import decide

VALUES = range(1, 11)  # 1 is the ace
_SHOE = [0] + [4 * DECKS] * 9 + [16 * DECKS]  # index = card value
_KEY = [0] + [1 << (5 * v) for v in VALUES]  # a multiset of drawn values as one int
_BUST = 5
_ENDINGS = 6  # dealer ends on 17, 18, 19, 20, 21 or busts
Dist = dict[float, float]  # net win per original stake -> probability
Given = tuple[Dist, ...]  # one Dist for each dealer ending


@dataclass(frozen=True, slots=True)
class BlackjackPar:
    rtp: float  # per original stake
    house_edge: float
    hit_frequency: float  # rounds that win money
    sd: float  # per original stake
    max_payout: int  # per original stake: four doubled hands after splits, all winning


def _best_total(hard: int, ace: bool) -> tuple[int, bool]:
    return (hard + 10, True) if ace and hard <= 11 else (hard, False)


def _dealer(up: int, counts: list[int], excluded: int) -> list[float]:
    """P(dealer ends on 17, 18, 19, 20, 21, bust), the hole card never being `excluded`."""
    memo: dict[int, list[float]] = {}

    def go(hard: int, ace: bool, left: int, key: int, hole: bool) -> list[float]:
        best, _ = _best_total(hard, ace)
        if best >= 17:
            ends = [0.0] * 6
            ends[_BUST if best > 21 else best - 17] = 1.0
            return ends
        if not hole and key in memo:
            return memo[key]
        result = [0.0] * 6
        allowed = left - (counts[excluded] if hole and excluded else 0)
        for v in VALUES:
            if counts[v] == 0 or (hole and v == excluded):
                continue
            p = counts[v] / allowed
            counts[v] -= 1
            sub = go(hard + v, ace or v == 1, left - 1, key + _KEY[v], False)
            counts[v] += 1
            for i in range(6):
                result[i] += p * sub[i]
        memo[key] = result
        return result

    return go(up, up == 1, sum(counts), 0, True)


def _mix_one(parts: list[tuple[float, Dist]]) -> Dist:
    out: Dist = {}
    for p, dist in parts:
        for net, q in dist.items():
            out[net] = out.get(net, 0.0) + p * q
    return out


def _convolve_one(a: Dist, b: Dist) -> Dist:
    out: Dist = {}
    for x, p in a.items():
        for y, q in b.items():
            out[x + y] = out.get(x + y, 0.0) + p * q
    return out


def _mix(parts: list[tuple[float, Given]]) -> Given:
    return tuple(_mix_one([(p, given[i]) for p, given in parts]) for i in range(_ENDINGS))


def _convolve(a: Given, b: Given) -> Given:
    """Two hands played against the same dealer: independent once the dealer's ending is known."""
    return tuple(_convolve_one(a[i], b[i]) for i in range(_ENDINGS))


@cache
def _stand(best: int, stake: float) -> Given:
    """The net of standing on `best` against each dealer ending."""
    endings = []
    for ending in range(_ENDINGS):
        dealer = 22 if ending == _BUST else 17 + ending
        if best > 21 or (best < dealer <= 21):
            endings.append({-stake: 1.0})
        elif best == dealer:
            endings.append({0.0: 1.0})
        else:
            endings.append({stake: 1.0})
    return tuple(endings)


class _Deal:
    """One first deal: the shoe left, the dealer's outcome, and the player's hands from it."""

    def __init__(self, up: int, counts: list[int]) -> None:
        self.up = up
        self.counts = counts
        self.excluded = 10 if up == 1 else 1 if up == 10 else 0
        self.dealer = _dealer(up, counts, self.excluded)
        self.removed = 0  # the player's cards drawn so far, as a _KEY multiset
        self.memo: dict[tuple[int, bool, int, int], Given] = {}

    def draws(self) -> list[tuple[int, float]]:
        """The next card's value and probability, given the hole card is not `excluded`."""
        counts, left = self.counts, sum(self.counts)
        if not self.excluded:
            return [(v, counts[v] / left) for v in VALUES if counts[v]]
        hole_pool = left - counts[self.excluded]
        return [
            (v, (counts[v] - (0 if v == self.excluded else counts[v] / hole_pool)) / (left - 1))
            for v in VALUES
            if counts[v]
        ]

    def _each(self, then: Callable[[int], Given]) -> list[tuple[int, float, Given]]:
        """then(v) for every next card v, with v out of the shoe while `then` runs."""
        results = []
        for v, p in self.draws():
            self.counts[v] -= 1
            self.removed += _KEY[v]
            try:
                results.append((v, p, then(v)))
            finally:
                self.counts[v] += 1
                self.removed -= _KEY[v]
        return results

    def _drawing(self, then: Callable[[int], Given]) -> Given:
        return _mix([(p, dist) for _, p, dist in self._each(then)])

    def hand(self, hard: int, ace: bool, cards: int) -> Given:
        """A hand played by the chart (no split): its net win distribution for a stake of 1."""
        memo_key = (hard, ace, cards, self.removed)
        if memo_key not in self.memo:
            self.memo[memo_key] = self._play(hard, ace, cards)
        return self.memo[memo_key]

    def _play(self, hard: int, ace: bool, cards: int) -> Given:
        best, soft = _best_total(hard, ace)
        if best >= 21:
            return _stand(best, 1.0)
        action = decide(best, soft, None, self.up, cards == 2, False)
        if action is Action.STAND:
            return _stand(best, 1.0)
        if action is Action.DOUBLE:
            return self._drawing(lambda v: _stand(_best_total(hard + v, ace or v == 1)[0], 2))
        return self._drawing(lambda v: self.hand(hard + v, ace or v == 1, cards + 1))

    def split(self, pair: int) -> Given:
        """Split `pair` (both cards already out of the shoe), resplitting to MAX_HANDS."""
        if pair == 1:  # one card each, no resplit: an ace drawn makes a soft 12 that stands
            one_card = self._drawing(lambda v: _stand(_best_total(1 + v, True)[0], 1))
            return _convolve(one_card, one_card)
        # A second card of the pair's value is a hand that resplits, or is played as a total
        # once the table's four hands are reached.
        second = self._each(lambda v: self.hand(pair + v, v == 1, 2))
        p_pair = sum(p for v, p, _ in second if v == pair)
        settled = _mix([(p / (1 - p_pair), dist) for v, p, dist in second if v != pair])
        stuck = next((given for v, _, given in second if v == pair), settled)
        memo: dict[tuple[int, int], Given] = {}

        def hands(pending: int, total: int) -> Given:
            """The hands still to take a second card, `total` hands on the table so far."""
            if pending == 0:
                return ({0.0: 1.0},) * _ENDINGS
            if (pending, total) not in memo:
                if total < MAX_HANDS:
                    resplit = hands(pending + 1, total + 1)
                else:
                    resplit = _convolve(stuck, hands(pending - 1, total))
                rest = _convolve(settled, hands(pending - 1, total))
                memo[pending, total] = _mix([(p_pair, resplit), (1 - p_pair, rest)])
            return memo[pending, total]

        return hands(2, 2)


def _first_deal(up: int, a: int, b: int, counts: list[int]) -> Dist:
    deal = _Deal(up, counts)
    natural = {a, b} == {1, 10}
    p_dealer_natural = counts[deal.excluded] / sum(counts) if deal.excluded else 0.0
    if natural:
        return {0.0: p_dealer_natural, 1.5: 1.0 - p_dealer_natural}
    best, soft = _best_total(a + b, 1 in (a, b))
    pair = a if a == b else None
    if decide(best, soft, pair, up, True, True) is Action.SPLIT:
        assert pair is not None
        given = deal.split(pair)
    else:
        given = deal.hand(a + b, 1 in (a, b), 2)
    played = _mix_one([(deal.dealer[i], given[i]) for i in range(_ENDINGS)])
    return _mix_one([(p_dealer_natural, {-1.0: 1.0}), (1.0 - p_dealer_natural, played)])


@cache
def basic_strategy_par() -> BlackjackPar:
    """RTP, hit frequency and spread of basic strategy, per original stake."""
    counts = list(_SHOE)
    left = sum(counts)
    outcome: Dist = {}
    for up in VALUES:
        for a in VALUES:
            for b in range(a, 11):
                ways = counts[a] * (counts[b] - (a == b)) * (counts[up] - (up == a) - (up == b))
                if ways <= 0:
                    continue
                weight = ways * (1 if a == b else 2) / (left * (left - 1) * (left - 2))
                for v in (up, a, b):
                    counts[v] -= 1
                outcome = _mix_one([(1.0, outcome), (weight, _first_deal(up, a, b, counts))])
                for v in (up, a, b):
                    counts[v] += 1
    mean = sum(net * p for net, p in outcome.items())
    square = sum(net * net * p for net, p in outcome.items())
    return BlackjackPar(
        rtp=1.0 + mean,
        house_edge=-mean,
        hit_frequency=sum(p for net, p in outcome.items() if net > 0),
        sd=(square - mean * mean) ** 0.5,
        max_payout=4 * MAX_HANDS,
    )
