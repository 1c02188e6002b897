"""Basic strategy for this table (6 decks, S17, DAS, no surrender): the player the maths assumes.

Total-dependent: the decision depends on the hand's total, softness and
whether it is a pair, and on the dealer's up card, never on other cards. The
charts are the standard multi-deck S17/DAS ones (as published by the Wizard of
Odds); `choose` falls back as a chart does when its first choice is not
legal: double -> hit (or stand, on soft 18), split -> play the total. Insurance
is never taken. `games.blackjack_maths` computes the return of exactly this
strategy, and `run.py rtp --simulate` plays it through the real game.
"""

from __future__ import annotations

from games.blackjack_rules import Action, BlackjackState, Phase, legal_actions, points, total

H, S, D, DS, P = "H", "S", "D", "Ds", "P"  # hit, stand, double else hit, double else stand, split

# Columns are the dealer's up card: 2, 3, 4, 5, 6, 7, 8, 9, 10, ace.
HARD: dict[int, tuple[str, ...]] = {
    9: (H, D, D, D, D, H, H, H, H, H),
    10: (D, D, D, D, D, D, D, D, H, H),
    11: (D, D, D, D, D, D, D, D, D, H),
    12: (H, H, S, S, S, H, H, H, H, H),
    13: (S, S, S, S, S, H, H, H, H, H),
    14: (S, S, S, S, S, H, H, H, H, H),
    15: (S, S, S, S, S, H, H, H, H, H),
    16: (S, S, S, S, S, H, H, H, H, H),
}
SOFT: dict[int, tuple[str, ...]] = {
    13: (H, H, H, D, D, H, H, H, H, H),
    14: (H, H, H, D, D, H, H, H, H, H),
    15: (H, H, D, D, D, H, H, H, H, H),
    16: (H, H, D, D, D, H, H, H, H, H),
    17: (H, D, D, D, D, H, H, H, H, H),
    18: (S, DS, DS, DS, DS, S, S, H, H, H),
}
# Pairs by card value (1 is the ace); a pair not listed, or marked H, is played on its total.
PAIRS: dict[int, tuple[str, ...]] = {
    1: (P, P, P, P, P, P, P, P, P, P),
    2: (P, P, P, P, P, P, H, H, H, H),
    3: (P, P, P, P, P, P, H, H, H, H),
    4: (H, H, H, P, P, H, H, H, H, H),
    6: (P, P, P, P, P, H, H, H, H, H),
    7: (P, P, P, P, P, P, H, H, H, H),
    8: (P, P, P, P, P, P, P, P, P, P),
    9: (P, P, P, P, P, S, P, P, S, S),
}


def _column(up_value: int) -> int:
    return 9 if up_value == 1 else up_value - 2


def chart(hand_total: int, soft: bool, up_value: int) -> str:
    """The chart entry for a total (pairs aside): H, S, D or Ds."""
    if soft:
        if hand_total >= 19:
            return S
        return SOFT.get(hand_total, (H,) * 10)[_column(up_value)]
    if hand_total >= 17:
        return S
    if hand_total <= 8:
        return H
    return HARD[hand_total][_column(up_value)]


def decide(
    hand_total: int, soft: bool, pair: int | None, up_value: int, can_double: bool, can_split: bool
) -> Action:
    """The basic-strategy action for a hand (its total, softness and pair value, if a pair)."""
    if can_split and pair is not None and PAIRS.get(pair, (H,) * 10)[_column(up_value)] == P:
        return Action.SPLIT
    entry = chart(hand_total, soft, up_value)
    if entry == D:
        return Action.DOUBLE if can_double else Action.HIT
    if entry == DS:
        return Action.DOUBLE if can_double else Action.STAND
    return Action.HIT if entry == H else Action.STAND


def choose(state: BlackjackState) -> str:
    """The basic-strategy action in a state that is not settled."""
    if state.phase is Phase.INSURANCE:
        return str(Action.NO_INSURANCE)
    if state.phase is Phase.SETTLED:
        raise ValueError("a settled round takes no action")
    legal = legal_actions(state)
    hand = state.hands[state.active].cards
    hand_total, soft = total(hand)
    pair = points(hand[0]) if len(hand) == 2 and points(hand[0]) == points(hand[1]) else None
    up = points(state.up_card)
    return str(decide(hand_total, soft, pair, up, "double" in legal, "split" in legal))
