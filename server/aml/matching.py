"""Fuzzy name matching for sanctions and PEP screening. Pure.

A name is normalised first (casefold, accents stripped, letters with no decomposition
folded: ß, ø, æ, ł ...; punctuation to spaces; tokens sorted, so order never matters).
Two names are compared token by token: every token of the shorter name is paired with
its most similar token of the other by Jaro-Winkler, and the score is the mean of those
(a token-set comparison: a middle name one side lacks costs nothing). A name of one
token is discounted by how much of the other name it covers, so "Ali" alone is not
"Ali Hassan Mahmoud". The comparison is run again on a transliteration skeleton
(kh->h, w->v, y->i, doubled letters once, ...) and the better score counts, so
"Wladimir" meets "Vladimir" and "Qadhafi" meets "Kadhafi". Jaro-Winkler is implemented
here (no dependency) as Winkler defined it: prefix scale 0.1, prefix up to 4.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD leaves whole (no base letter plus a combining mark to strip).
_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
     "ı": "i", "ħ": "h"}
)  # fmt: skip
_NOT_LETTER = re.compile(r"[^0-9a-z]+")
# Transliteration variants of one sound, folded to one spelling (order matters: digraphs first).
_SKELETON = (
    ("kh", "h"), ("dh", "d"), ("gh", "g"), ("th", "t"), ("ph", "f"), ("sch", "sh"),
    ("ck", "k"), ("q", "k"), ("c", "k"), ("w", "v"), ("y", "i"), ("j", "i"), ("z", "s"),
    ("ou", "u"), ("oo", "u"), ("ee", "i"),
)  # fmt: skip
_DOUBLED = re.compile(r"(.)\1+")


def tokens(name: str) -> list[str]:
    """The name's words, normalised and sorted."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_FOLD))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)
    return sorted(token for token in _NOT_LETTER.split(plain) if token)


def skeleton(token: str) -> str:
    for variant, folded in _SKELETON:
        token = token.replace(variant, folded)
    return _DOUBLED.sub(r"\1", token)


def jaro(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    reach = max(max(len(a), len(b)) // 2 - 1, 0)
    taken = [False] * len(b)
    matched_a = []
    for i, char in enumerate(a):
        for j in range(max(0, i - reach), min(len(b), i + reach + 1)):
            if not taken[j] and b[j] == char:
                taken[j] = True
                matched_a.append(char)
                break
    if not matched_a:
        return 0.0
    matched_b = [b[j] for j in range(len(b)) if taken[j]]
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) / 2
    m = len(matched_a)
    return (m / len(a) + m / len(b) + (m - transpositions) / m) / 3


def jaro_winkler(a: str, b: str, scale: float = 0.1) -> float:
    score = jaro(a, b)
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return score + prefix * scale * (1 - score)


def _token_set(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    if len(a) == len(b):  # both directions, so that the score is symmetric
        return (_paired(a, b) + _paired(b, a)) / 2
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return _paired(short, long)


def _paired(short: list[str], long: list[str]) -> float:
    mean = sum(max(jaro_winkler(s, t) for t in long) for s in short) / len(short)
    if len(short) == 1 and len(long) > 1:
        mean *= (1 + len(short) / len(long)) / 2  # one word covers little of a longer name
    return mean


def similarity(a: str, b: str) -> float:
    """0..1: how alike two names are, whatever their order, case or accents."""
    left, right = tokens(a), tokens(b)
    plain = _token_set(left, right)
    folded = _token_set([skeleton(t) for t in left], [skeleton(t) for t in right])
    return max(plain, folded)
