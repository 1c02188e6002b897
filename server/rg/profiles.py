"""Jurisdiction profiles as data: what each market's rules ask of play, chosen per player's country.

A profile is a frozen record of figures (game-cycle spacing, stake caps by age, whether a
requested withdrawal may be reversed, whether the first deposit prompts for a limit, whether
balance pushes carry the session's elapsed time and net position, the bonus engine's wagering
cap). Every rule that differs between markets reads a field here instead of branching on a
country, so a new market is one more record. Pure: no I/O, no clock (ages are computed from a
date the caller passes).

Sources of the figures: UK, the Gambling Commission's Remote Gambling and Software Technical
Standards (RTS 14: 2.5 s between slot game cycles, no autoplay, no turbo/quick spin; RTS 13:
reality checks), the 2025 slot stake limits (GBP 2 per cycle for ages 18 to 24, GBP 5 for 25
and over), the ban on reversing withdrawals (LCCP SR 4.2.x) and the 2026 cap of 10x on bonus
wagering. MGA: the Player Protection Directive (Directive 2 of 2018): the player sets
deposit, loss and session limits, a raised limit takes effect after at least 24 hours, reality
checks are offered, self-exclusion is for at least 6 months; it sets no game-cycle spacing, no
stake cap and no wagering cap, and allows autoplay. The 5 s for UK "other casino games" is this
project's reading of the brief (the RTS sets no figure for table games).

`test` is permissive (no spacing, no caps, no prompts) for load and soak tests; it is never a
default: only a country mapped to it explicitly (`CASINO_TEST_PROFILE_COUNTRIES`) gets it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class AgeCap:
    """A per-cycle slot stake cap for players aged `min_age` to `max_age` (None: no upper age)."""

    min_age: int
    max_age: int | None
    cap: int  # minor units of the profile's `cap_currency`


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    slot_cycle_ms: int  # least time between two slot game cycles of one player (0: none)
    other_cycle_ms: int  # the same for every other casino game (table games)
    autoplay: bool
    turbo: bool
    slot_stake_caps: tuple[AgeCap, ...]
    cap_currency: str
    withdrawal_reversal: bool  # may a player cancel a withdrawal they requested?
    limit_prompt_at_first_deposit: bool
    session_figures_in_balance: bool  # elapsed time and net position in every balance push
    max_bonus_wagering: int | None  # the most times a bonus may have to be wagered (bonus engine)
    limit_raise_delay_ms: int  # a raised or removed limit applies no sooner than this
    min_time_out_hours: int
    max_time_out_hours: int
    min_self_exclusion_months: int

    def cycle_ms(self, is_slot: bool) -> int:
        return self.slot_cycle_ms if is_slot else self.other_cycle_ms

    def slot_stake_cap(self, age: int, currency: str) -> int | None:
        """The cap on one slot cycle's stake, in minor units of `currency`, or None.

        A wallet in another currency than the cap's gets the same number of minor units: the
        supported currencies whose minor unit is worth more than a penny are none (GBP is the
        strongest of them), so this never lets a stake past the cap's value; a zero-decimal
        currency (JPY) is refused any capped slot stake rather than guessed at."""
        for band in self.slot_stake_caps:
            if band.min_age <= age and (band.max_age is None or age <= band.max_age):
                if currency == self.cap_currency or currency not in ZERO_DECIMAL:
                    return band.cap
                return 0
        return None


ZERO_DECIMAL = frozenset({"JPY", "KRW", "ISK"})

UK = Profile(
    name="uk",
    slot_cycle_ms=2500,
    other_cycle_ms=5000,
    autoplay=False,
    turbo=False,
    slot_stake_caps=(AgeCap(18, 24, 200), AgeCap(25, None, 500)),
    cap_currency="GBP",
    withdrawal_reversal=False,
    limit_prompt_at_first_deposit=True,
    session_figures_in_balance=True,
    max_bonus_wagering=10,
    limit_raise_delay_ms=DAY_MS,
    min_time_out_hours=24,
    max_time_out_hours=6 * 7 * 24,
    min_self_exclusion_months=6,
)

MGA = Profile(
    name="mga",
    slot_cycle_ms=0,
    other_cycle_ms=0,
    autoplay=True,
    turbo=True,
    slot_stake_caps=(),
    cap_currency="EUR",
    withdrawal_reversal=True,
    limit_prompt_at_first_deposit=True,
    session_figures_in_balance=False,
    max_bonus_wagering=None,
    limit_raise_delay_ms=DAY_MS,
    min_time_out_hours=24,
    max_time_out_hours=6 * 7 * 24,
    min_self_exclusion_months=6,
)

TEST = Profile(
    name="test",
    slot_cycle_ms=0,
    other_cycle_ms=0,
    autoplay=True,
    turbo=True,
    slot_stake_caps=(),
    cap_currency="EUR",
    withdrawal_reversal=True,
    limit_prompt_at_first_deposit=False,
    session_figures_in_balance=False,
    max_bonus_wagering=None,
    limit_raise_delay_ms=DAY_MS,
    min_time_out_hours=24,
    max_time_out_hours=6 * 7 * 24,
    min_self_exclusion_months=6,
)

PROFILES: Mapping[str, Profile] = {p.name: p for p in (UK, MGA, TEST)}
COUNTRY_PROFILES: Mapping[str, str] = {"GB": "uk", "MT": "mga"}


class UnknownProfile(ValueError):
    """A configured profile name that is not one of `PROFILES`."""


def named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfile(
            f"no jurisdiction profile {name!r} (known: {sorted(PROFILES)})"
        ) from None


@dataclass(frozen=True, slots=True)
class Chooser:
    """Which profile a country gets: GB is UK, MT is MGA, a country listed in `test_countries`
    is `test`, and every other country the configured default (which may not be `test`)."""

    default: Profile
    test_countries: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.default is TEST:
            raise UnknownProfile("the test profile is never the default")

    def for_country(self, country: str) -> Profile:
        if country in COUNTRY_PROFILES:
            return PROFILES[COUNTRY_PROFILES[country]]
        if country in self.test_countries:
            return TEST
        return self.default


def age_on(born: date, today: date) -> int:
    """Whole years from `born` to `today` (a 29 February birthday counts on 1 March)."""
    years = today.year - born.year
    return years - ((today.month, today.day) < (born.month, born.day))
