"""Playing cards as small integers, and the multi-deck shoes the card games deal from.

A card is an int in [0, 52): rank = card % 13 (0 is the ace, 12 the king) and
suit = card // 13. A shoe holds each card once per deck, so equal ints are
copies from different decks. Names ("AS", "TH", "9C") are what the wire and
storage carry; nothing here draws: shuffling belongs to the game, through `rng`.
"""

from __future__ import annotations

RANKS = "A23456789TJQK"
SUITS = "SHDC"
ACE, TEN = 0, 9  # rank indices


def rank(card: int) -> int:
    return card % 13


def name(card: int) -> str:
    return RANKS[card % 13] + SUITS[card // 13]


def parse(text: object) -> int:
    """The card a name stands for; ValueError for anything that is not a card name."""
    if not isinstance(text, str) or len(text) != 2:
        raise ValueError(f"not a card: {text!r}")
    r, s = RANKS.find(text[0]), SUITS.find(text[1])
    if r < 0 or s < 0:
        raise ValueError(f"not a card: {text!r}")
    return s * 13 + r


def new_shoe(decks: int) -> list[int]:
    """An unshuffled shoe of `decks` full decks."""
    return [card for _ in range(decks) for card in range(52)]
