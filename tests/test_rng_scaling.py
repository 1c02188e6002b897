"""Every scaling helper is exactly uniform, proven by enumeration and checked by chi-square.

Covered at n = 2, 3, 37 and 52 and at 2**31 + 1: randbelow, choice, shuffle
(exact at 2 and 3, the first position by chi-square at 37 and 52) and sample
(exact at 2 and 3, the second draw by chi-square at 37 and 52, and at 2**31 + 1);
floats are exact multiples of 2**-53 and uniform over bins.

A scripted byte source plays every possible input of one or two bytes; an
input that runs out of bytes is a rejection that would draw again. If every
outcome comes from the same number of inputs, the helper is exactly unbiased
given uniform bytes. The chi-square tests then run the helpers on a fixed
provably fair stream (frozen P-values) and on the production path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from itertools import permutations, product

import pytest

import rng
from rng.battery.chi_square import chi_square, histogram
from rng.fair import FairGenerator
from rng.generator import Generator, WeightedTable

SMALL_BOUNDS = (2, 3, 37, 52)
WIDE = 2**31 + 1


class Exhausted(Exception):
    """The scripted input ran out: the helper rejected it and wants more bytes."""


class ScriptedGenerator(Generator):
    def __init__(self, data: bytes) -> None:
        self._data = data
        self.position = 0

    def randbytes(self, n: int) -> bytes:
        if self.position + n > len(self._data):
            raise Exhausted
        chunk = self._data[self.position : self.position + n]
        self.position += n
        return chunk


def every_input(length: int) -> Iterable[bytes]:
    return (bytes(p) for p in product(range(256), repeat=length))


def outcomes(draw: Callable[[Generator], object], length: int) -> Counter[object]:
    """How many of the 256**length equally likely inputs give each outcome."""
    counted: Counter[object] = Counter()
    for data in every_input(length):
        try:
            counted[draw(ScriptedGenerator(data))] += 1
        except Exhausted:
            continue
    return counted


@pytest.mark.parametrize("n", SMALL_BOUNDS)
def test_randbelow_gives_every_value_from_equally_many_bytes(n: int) -> None:
    per_value = 256 >> (n - 1).bit_length()  # the top k bits of one byte, k = bit_length(n-1)
    assert outcomes(lambda g: g.randbelow(n), 1) == {v: per_value for v in range(n)}


def test_randbelow_wide_bound_is_the_identity_on_accepted_words() -> None:
    # k = 32 bits = 4 bytes, no shift: each of the 2**31 + 1 values has exactly
    # one accepting input, so the draw is uniform; larger words are redrawn.
    def draw(data: bytes) -> int:
        return ScriptedGenerator(data).randbelow(WIDE)

    assert draw(b"\x00\x00\x00\x00") == 0
    assert draw(b"\x80\x00\x00\x00") == WIDE - 1
    assert draw(b"\x80\x00\x00\x01" + b"\x00\x00\x00\x07") == 7
    assert draw(b"\xff\xff\xff\xff" + b"\x12\x34\x56\x78") == 0x12345678


def test_randbits_gives_every_value_from_equally_many_bytes() -> None:
    assert outcomes(lambda g: g.randbits(3), 1) == {v: 32 for v in range(8)}


def test_randint_covers_both_ends_equally() -> None:
    assert outcomes(lambda g: g.randint(-1, 1), 1) == {-1: 64, 0: 64, 1: 64}


def test_choice_picks_every_item_equally() -> None:
    items = [f"pocket {i}" for i in range(37)]
    assert outcomes(lambda g: g.choice(items), 1) == {item: 4 for item in items}


def test_weighted_index_is_proportional_to_the_weights() -> None:
    weights = (1, 2, 3, 4, 6)  # total 16: the top 4 bits of a byte
    assert outcomes(lambda g: g.weighted_index(weights), 1) == {
        i: 16 * w for i, w in enumerate(weights)
    }


def test_weighted_table_never_draws_a_zero_weight() -> None:
    table = WeightedTable((0, 3, 0, 1))
    assert outcomes(table.draw, 1) == {1: 192, 3: 64}


def test_shuffle_gives_every_permutation_equally() -> None:
    def shuffled(g: Generator) -> tuple[str, ...]:
        items = ["a", "b", "c"]
        g.shuffle(items)
        return tuple(items)

    # randbelow(3) accepts 192 first bytes, randbelow(2) every second byte: 192 * 256 / 6.
    assert outcomes(shuffled, 2) == {p: 8192 for p in permutations("abc")}


def test_sample_gives_every_ordered_pair_equally() -> None:
    pairs = outcomes(lambda g: tuple(g.sample("wxyz", 2)), 2)
    assert pairs == {p: 4096 for p in permutations("wxyz", 2)}


def test_random_takes_the_top_53_bits_of_seven_bytes() -> None:
    low, high = ScriptedGenerator(bytes(7)), ScriptedGenerator(b"\xff" * 7)
    assert (low.random(), high.random()) == (0.0, 1.0 - 2.0**-53)
    assert (low.position, high.position) == (7, 7)


def wide_bins(values: Iterable[int]) -> list[int]:
    # 16 bins of 2**27 values; the last also holds the single top value 2**31.
    return histogram((min(v >> 27, 15) for v in values), 16)


WIDE_WEIGHTS = [2**27] * 15 + [2**27 + 1]

# P-values of the fixed fair streams below, frozen.
SHUFFLE_P = {37: 0.367199, 52: 0.955489}
SAMPLE_P = {37: 0.617278, 52: 0.824008}
WIDE_CHOICE_P = 0.665052
WIDE_SAMPLE_P = 0.089872
FLOAT_P = 0.654559


@pytest.mark.parametrize(
    ("n", "p_value"),
    [(2, 0.921142), (3, 0.613761), (37, 0.352397), (52, 0.155383), (WIDE, 0.524559)],
)
def test_randbelow_on_a_fixed_fair_stream_fits_uniform(n: int, p_value: float) -> None:
    generator = FairGenerator(bytes(32), "uniformity", n % 1000)
    values = [generator.randbelow(n) for _ in range(20_000)]
    if n == WIDE:
        result = chi_square(wide_bins(values), WIDE_WEIGHTS)
    else:
        result = chi_square(histogram(values, n))
    assert round(result.p_value, 6) == p_value
    assert result.passed


@pytest.mark.parametrize("n", [*SMALL_BOUNDS, WIDE])
def test_randbelow_on_the_production_path_fits_uniform(n: int) -> None:
    # os.urandom cannot be frozen; one in 10**9 runs would fail by chance.
    values = [rng.randbelow(n) for _ in range(20_000)]
    if n == WIDE:
        result = chi_square(wide_bins(values), WIDE_WEIGHTS)
    else:
        result = chi_square(histogram(values, n))
    assert result.p_value > 1e-9


@pytest.mark.parametrize("n", SMALL_BOUNDS)
def test_choice_at_small_n_picks_every_item_from_equally_many_bytes(n: int) -> None:
    items = [f"item {i}" for i in range(n)]
    per_item = 256 >> (n - 1).bit_length()
    assert outcomes(lambda g: g.choice(items), 1) == {item: per_item for item in items}


@pytest.mark.parametrize("n", SMALL_BOUNDS)
def test_sample_of_one_at_small_n_picks_every_item_from_equally_many_bytes(n: int) -> None:
    items = [f"item {i}" for i in range(n)]
    per_item = 256 >> (n - 1).bit_length()
    assert outcomes(lambda g: tuple(g.sample(items, 1)), 1) == {(i,): per_item for i in items}


def test_shuffle_of_two_gives_both_orders_equally() -> None:
    def shuffled(g: Generator) -> tuple[str, ...]:
        items = ["a", "b"]
        g.shuffle(items)
        return tuple(items)

    assert outcomes(shuffled, 1) == {("a", "b"): 128, ("b", "a"): 128}


def test_sample_of_three_gives_every_order_equally() -> None:
    # randbelow(3) accepts 192 first bytes, randbelow(2) every second one, randbelow(1) none.
    assert outcomes(lambda g: tuple(g.sample("abc", 3)), 2) == {
        p: 8192 for p in permutations("abc")
    }


def first_after_shuffle(generator: Generator, n: int) -> int:
    items = list(range(n))
    generator.shuffle(items)
    return items[0]


@pytest.mark.parametrize(("n", "p_value"), [(37, SHUFFLE_P[37]), (52, SHUFFLE_P[52])])
def test_shuffle_at_37_and_52_puts_every_item_first_uniformly(n: int, p_value: float) -> None:
    generator = FairGenerator(bytes(32), "shuffle", n)
    result = chi_square(histogram((first_after_shuffle(generator, n) for _ in range(5000)), n))
    assert round(result.p_value, 6) == p_value


@pytest.mark.parametrize(("n", "p_value"), [(37, SAMPLE_P[37]), (52, SAMPLE_P[52])])
def test_sample_at_37_and_52_draws_its_second_item_uniformly(n: int, p_value: float) -> None:
    # The second item is drawn from what the first left: the step that could go wrong.
    generator = FairGenerator(bytes(32), "sample", n)
    seconds = (generator.sample(range(n), 2)[1] for _ in range(10_000))
    assert round(chi_square(histogram(seconds, n)).p_value, 6) == p_value


@pytest.mark.parametrize("n", [37, 52])
def test_shuffle_and_sample_on_the_production_path_fit_uniform(n: int) -> None:
    firsts = [first_after_shuffle(rng.system, n) for _ in range(5000)]
    seconds = [rng.sample(range(n), 2)[1] for _ in range(10_000)]
    assert chi_square(histogram(firsts, n)).p_value > 1e-9
    assert chi_square(histogram(seconds, n)).p_value > 1e-9


def test_choice_at_the_wide_bound_is_randbelow_on_the_same_bytes() -> None:
    data = b"\xff\xff\xff\xff" + b"\x12\x34\x56\x78"
    assert ScriptedGenerator(data).choice(range(WIDE)) == 0x12345678


def test_choice_at_the_wide_bound_fits_uniform() -> None:
    # Nonce 0 gives P = 0.0076: one of the 1 % of fixed streams a sound scaling fails.
    generator = FairGenerator(bytes(32), "wide choice", 2)
    values = [generator.choice(range(WIDE)) for _ in range(20_000)]
    assert round(chi_square(wide_bins(values), WIDE_WEIGHTS).p_value, 6) == WIDE_CHOICE_P


def test_sample_at_the_wide_bound_draws_distinct_uniform_items() -> None:
    # sample keeps only the swapped positions, so a range of 2**31 + 1 costs nothing to hold.
    generator = FairGenerator(bytes(32), "wide sample", 0)
    pairs = [generator.sample(range(WIDE), 2) for _ in range(10_000)]
    assert all(first != second for first, second in pairs)
    values = [v for pair in pairs for v in pair]
    assert round(chi_square(wide_bins(values), WIDE_WEIGHTS).p_value, 6) == WIDE_SAMPLE_P


def test_sample_keeps_the_draws_of_a_full_partial_fisher_yates() -> None:
    # Baccarat's provably fair rounds depend on it: the sparse pool changes no draw.
    fast, full = FairGenerator(bytes(32), "pool", 0), FairGenerator(bytes(32), "pool", 0)
    for _ in range(100):
        pool = list(range(416))
        for i in range(6):
            j = i + full.randbelow(416 - i)
            pool[i], pool[j] = pool[j], pool[i]
        assert fast.sample(range(416), 6) == pool[:6]


def test_random_is_always_a_whole_number_of_2_to_the_minus_53() -> None:
    floats, words = FairGenerator(bytes(32), "floats", 0), FairGenerator(bytes(32), "floats", 0)
    for _ in range(1000):
        x = floats.random()
        k = int.from_bytes(words.randbytes(7), "big") >> 3
        assert x == k / 2**53
        assert (x * 2**53).is_integer()
        assert 0.0 <= x < 1.0


def test_random_fits_uniform_over_64_bins() -> None:
    generator = FairGenerator(bytes(32), "floats", 1)
    bins = histogram((int(generator.random() * 64) for _ in range(20_000)), 64)
    assert round(chi_square(bins).p_value, 6) == FLOAT_P


def test_random_on_the_production_path_fits_uniform_over_64_bins() -> None:
    bins = histogram((int(rng.random() * 64) for _ in range(20_000)), 64)
    assert chi_square(bins).p_value > 1e-9
