"""The rules of blackjack as a state machine: a shuffled shoe and actions in, a state out.

House rules: 6 decks shuffled for every round; the dealer stands on soft 17 and
peeks under an ace or a ten-valued card, so a dealer blackjack ends the round
before the player acts (the player loses only the original stake). Blackjack
pays 3:2; insurance (half the stake) is offered under an ace and pays 2:1. No
surrender. Double on any first two cards, also after a split; split any two
cards of equal value (10-J-Q-K count as a pair), to at most four hands; split
aces take one card each and cannot be split again; 21 after a split is not a
blackjack. A hand that reaches 21 stands by itself.

A state is a pure function of (stake, shoe, actions): `deal` and `apply` build
it and nothing else does, so a stored (stake, shoe, actions) rebuilds it
exactly. Cards come off the shoe in order; a split hand takes its second card
when play reaches it, as at a real table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from games import cards
from games.base import ActionError

DECKS = 6
MAX_HANDS = 4
DEALER_STANDS_ON = 17  # soft 17 included


class Phase(StrEnum):
    INSURANCE = "insurance"  # the dealer shows an ace: the player decides on insurance first
    PLAYING = "playing"
    SETTLED = "settled"


class Action(StrEnum):
    HIT = "hit"
    STAND = "stand"
    DOUBLE = "double"
    SPLIT = "split"
    INSURANCE = "insurance"
    NO_INSURANCE = "no_insurance"


def points(card: int) -> int:
    """Blackjack value with aces as 1; `total` makes one ace 11 when that does not bust."""
    return min(cards.rank(card) + 1, 10)


def total(hand_cards: tuple[int, ...]) -> tuple[int, bool]:
    """(best total, soft) where soft means an ace is counted as 11."""
    hard = sum(points(c) for c in hand_cards)
    if hard <= 11 and any(cards.rank(c) == cards.ACE for c in hand_cards):
        return hard + 10, True
    return hard, False


def is_natural(hand_cards: tuple[int, ...]) -> bool:
    return len(hand_cards) == 2 and total(hand_cards)[0] == 21


@dataclass(frozen=True, slots=True)
class Hand:
    cards: tuple[int, ...]
    stake: int
    split: bool = False  # came from a split: no blackjack, and aces take one card
    doubled: bool = False
    done: bool = False

    @property
    def total(self) -> int:
        return total(self.cards)[0]

    @property
    def busted(self) -> bool:
        return self.total > 21

    @property
    def split_aces(self) -> bool:
        return self.split and cards.rank(self.cards[0]) == cards.ACE


@dataclass(frozen=True, slots=True)
class BlackjackState:
    stake: int  # the original stake; doubles, splits and insurance are extra
    shoe: tuple[int, ...]  # the whole shuffled shoe; `dealt` cards have left it
    dealt: int
    dealer: tuple[int, ...]  # the up card first, then the hole card
    hands: tuple[Hand, ...]
    active: int  # the hand being played, while PLAYING
    phase: Phase
    insurance: int  # stake on insurance; 0 when not taken
    actions: tuple[str, ...]  # every action applied, in order

    @property
    def up_card(self) -> int:
        return self.dealer[0]

    @property
    def dealer_natural(self) -> bool:
        return is_natural(self.dealer[:2])


def _draw(state: BlackjackState) -> tuple[int, BlackjackState]:
    if state.dealt >= len(state.shoe):
        raise RuntimeError("the shoe ran out")  # cannot happen: six decks outlast any round
    return state.shoe[state.dealt], replace(state, dealt=state.dealt + 1)


def deal(stake: int, shoe: tuple[int, ...]) -> BlackjackState:
    """Open a round: player, dealer up, player, dealer hole, then the peek if it is due."""
    p1, up, p2, hole = shoe[:4]
    state = BlackjackState(
        stake, shoe, 4, (up, hole), (Hand((p1, p2), stake),), 0, Phase.PLAYING, 0, ()
    )
    if cards.rank(up) == cards.ACE:
        return replace(state, phase=Phase.INSURANCE)
    return _peek(state)


def _peek(state: BlackjackState) -> BlackjackState:
    """The dealer checks for blackjack; a natural on either side settles the round at once."""
    if state.dealer_natural or is_natural(state.hands[0].cards):
        hand = replace(state.hands[0], done=True)
        return replace(state, hands=(hand,), phase=Phase.SETTLED)
    return state


def legal_actions(state: BlackjackState) -> list[str]:
    if state.phase is Phase.INSURANCE:
        return [Action.INSURANCE, Action.NO_INSURANCE]
    if state.phase is Phase.SETTLED:
        return []
    hand = state.hands[state.active]
    actions = [Action.HIT, Action.STAND]
    if len(hand.cards) == 2:
        actions.append(Action.DOUBLE)
        pair = points(hand.cards[0]) == points(hand.cards[1])
        if pair and len(state.hands) < MAX_HANDS and not hand.split_aces:
            actions.append(Action.SPLIT)
    return [str(a) for a in actions]


def check_action(state: BlackjackState, action: str) -> Action:
    """The action if it is legal now; ActionError with a stable code otherwise."""
    try:
        Action(action)
    except ValueError:
        raise ActionError("UNKNOWN_ACTION", f"{action!r} is not a blackjack action") from None
    legal = legal_actions(state)
    if action not in legal:
        where = "the round is settled" if not legal else f"legal now: {', '.join(legal)}"
        raise ActionError("ILLEGAL_ACTION", f"{action} is not allowed: {where}")
    return Action(action)


def extra_stake(state: BlackjackState, action: str) -> int:
    """What `action` adds to the money at risk, for the server to reserve before applying it."""
    checked = check_action(state, action)
    if checked in (Action.DOUBLE, Action.SPLIT):
        return state.hands[state.active].stake
    if checked is Action.INSURANCE:
        return state.stake // 2
    return 0


def apply(state: BlackjackState, action: str) -> BlackjackState:
    """The state after a legal action; ActionError (nothing changed) for any other."""
    checked = check_action(state, action)
    state = replace(state, actions=(*state.actions, str(checked)))
    if checked is Action.INSURANCE:
        return _peek(replace(state, insurance=state.stake // 2, phase=Phase.PLAYING))
    if checked is Action.NO_INSURANCE:
        return _peek(replace(state, phase=Phase.PLAYING))
    hand = state.hands[state.active]
    if checked is Action.STAND:
        hand = replace(hand, done=True)
    elif checked is Action.HIT:
        card, state = _draw(state)
        hand = replace(hand, cards=(*hand.cards, card))
        hand = replace(hand, done=hand.total >= 21)
    elif checked is Action.DOUBLE:
        card, state = _draw(state)
        hand = replace(hand, cards=(*hand.cards, card), stake=hand.stake * 2, doubled=True)
        hand = replace(hand, done=True)
    else:  # split: the first hand takes its second card now, the second when play reaches it
        first, second = hand.cards
        card, state = _draw(state)
        new_first = Hand((first, card), hand.stake, split=True)
        new_second = Hand((second,), hand.stake, split=True)
        hands = list(state.hands)
        hands[state.active : state.active + 1] = [_stand_if_final(new_first), new_second]
        return _advance(replace(state, hands=tuple(hands)))
    hands = list(state.hands)
    hands[state.active] = hand
    return _advance(replace(state, hands=tuple(hands)))


def _stand_if_final(hand: Hand) -> Hand:
    """Split aces take exactly one card; any hand on 21 has nothing left to decide."""
    return replace(hand, done=hand.split_aces or hand.total >= 21)


def _advance(state: BlackjackState) -> BlackjackState:
    """Move play to the next undecided hand, dealing split hands their second card on the way."""
    index = state.active
    while index < len(state.hands):
        hand = state.hands[index]
        if len(hand.cards) == 1:
            card, state = _draw(state)
            hand = _stand_if_final(replace(hand, cards=(*hand.cards, card)))
            hands = list(state.hands)
            hands[index] = hand
            state = replace(state, hands=tuple(hands))
        if not hand.done:
            return replace(state, active=index)
        index += 1
    return _dealer_plays(replace(state, active=len(state.hands) - 1))


def _dealer_plays(state: BlackjackState) -> BlackjackState:
    """Draw to 17 (standing on soft 17) unless every hand has busted, then settle."""
    if any(not hand.busted for hand in state.hands):
        while total(state.dealer)[0] < DEALER_STANDS_ON:
            card, state = _draw(state)
            state = replace(state, dealer=(*state.dealer, card))
    return replace(state, phase=Phase.SETTLED)


def hand_returns(state: BlackjackState, hand: Hand) -> int:
    """Paid back on one hand of a settled round, its stake included."""
    natural = is_natural(hand.cards) and not hand.split
    if state.dealer_natural:
        return hand.stake if natural else 0
    if natural:
        return hand.stake * 5 // 2  # 3:2; the stake step of 2 keeps it whole
    if hand.busted:
        return 0
    dealer = total(state.dealer)[0]
    if dealer > 21 or hand.total > dealer:
        return hand.stake * 2
    return hand.stake if hand.total == dealer else 0


def payout(state: BlackjackState) -> int:
    if state.phase is not Phase.SETTLED:
        raise ActionError("ROUND_NOT_FINISHED", "the round is still open")
    insurance = state.insurance * 3 if state.dealer_natural else 0
    return insurance + sum(hand_returns(state, hand) for hand in state.hands)


def total_stake(state: BlackjackState) -> int:
    return sum(hand.stake for hand in state.hands) + state.insurance
