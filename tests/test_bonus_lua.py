"""The bonus rules inside the money scripts, against a model: any sequence of spins (slot at
100 %, roulette at 10 %, blackjack not counting), deposits, withdrawal locks, expiry and
forfeiture leaves Redis's cash and bonus exactly where the model says, and bonus money becomes
cash only in the step where the weighted stakes reach the requirement (capped when the terms
say so). The ledger side (journal to ledger, reconciliation) is held by
tests/test_bonus_engine.py."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from rng import fair
from server.money import keys, lua
from server.money.bonus_wallet import GRANT_MARKER_MS
from server.storage.redis_child import RedisChild

SEED = bytes(range(32))
WEIGHTS = {"classic-sevens": 100, "european-roulette": 10}  # blackjack: ineligible
_players = itertools.count(40_000_000)
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def client(own_redis: RedisChild) -> Iterator[redis.Redis]:
    sync = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield sync
    sync.close()


@dataclass
class Model:
    cash: int
    bonus: int
    wagered: int
    required: int  # in hundredths, as the scripts count
    max_stake: int
    cap: int | None
    active: bool = True
    converted_with: int | None = None  # weighted stakes when bonus became cash

    def close_if_due(self) -> None:
        if not self.active:
            return
        if self.wagered >= self.required:
            to_cash = self.bonus if self.cap is None else min(self.bonus, self.cap)
            if self.cap is not None:
                self.cap -= to_cash
            self.cash += to_cash
            self.bonus = 0
            self.active = False
            self.converted_with = self.wagered
        elif self.bonus <= 0:
            self.active = False


class Scripts:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        names = ("spin", "bonus_grant", "bonus_end", "credit", "withdraw_lock")
        self.sources = {name: lua.source(name) for name in names}

    def run(self, name: str, keys_: list[str], args: list[str | int]) -> list[object]:
        reply = self.client.eval(self.sources[name], len(keys_), *keys_, *args)
        assert isinstance(reply, list)
        return reply


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("spin"),
            st.sampled_from(["classic-sevens", "european-roulette", "blackjack"]),
            st.integers(1, 3_000),
            st.integers(0, 6_000),
        ),
        st.tuples(st.just("deposit"), st.integers(1, 5_000)),
        st.tuples(st.just("withdraw"), st.integers(1, 5_000)),
        st.tuples(st.just("expire")),
        st.tuples(st.just("forfeit")),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(
    cash=st.integers(0, 5_000),
    granted=st.integers(1, 5_000),
    multiplier=st.integers(0, 5),
    max_stake=st.sampled_from([0, 500, 2_000]),
    cap=st.none() | st.integers(0, 3_000),
    ops=OPS,
)
def test_bonus_money_becomes_cash_only_once_wagering_is_met(
    client: redis.Redis,
    cash: int,
    granted: int,
    multiplier: int,
    max_stake: int,
    cap: int | None,
    ops: list[tuple[object, ...]],
) -> None:
    scripts = Scripts(client)
    player = next(_players)
    wallet, bonus_key = keys.wallet(player, "EUR"), keys.bonus(player, "EUR")
    journal, events = keys.journal_of(player), keys.events_of(player)
    client.hset(wallet, mapping={"cash": cash, "held": 0})
    digest = fair.seed_hash(SEED)
    client.hset(keys.fair_seed(player), mapping={
        "server_seed": SEED.hex(), "seed_hash": digest, "client_seed": "c", "nonce": 0,
    })  # fmt: skip
    award = next(_ids)
    weights: list[str | int] = [part for pair in WEIGHTS.items() for part in pair]
    reply = scripts.run(
        "bonus_grant",
        [wallet, bonus_key, keys.bonus_grant(player, award), journal, events],
        [award, player, "EUR", granted, "bonus", multiplier * granted * 100, max_stake,
         10**15, "" if cap is None else cap, GRANT_MARKER_MS, "", *weights],
    )  # fmt: skip
    assert reply[0] == "OK"
    model = Model(cash, granted, 0, multiplier * granted * 100, max_stake, cap)
    model.close_if_due()
    nonce = 0
    for op in ops:
        if op[0] == "spin":
            _, game, stake, payout = op
            assert isinstance(game, str) and isinstance(stake, int) and isinstance(payout, int)
            round_id = f"r{next(_ids)}"
            reply = scripts.run(
                "spin",
                [wallet, keys.done(player, round_id), keys.fair_seed(player), events, journal,
                 keys.rg(player), bonus_key],
                [stake, payout, "{}", 60_000, player, game, "EUR", round_id, "{}", digest, "c",
                 nonce, 10**9, 10**9, "slot"],
            )  # fmt: skip
            if model.cash + model.bonus < stake:
                assert reply[0] == "INSUFFICIENT_FUNDS"
                continue
            if model.active and model.max_stake and stake > model.max_stake:
                assert reply[0] == "BONUS_MAX_STAKE"
                continue
            assert reply[0] == "OK", reply
            nonce += 1
            from_cash = min(stake, model.cash)
            from_bonus = stake - from_cash
            to_bonus = payout * from_bonus // stake
            model.cash += payout - to_bonus - from_cash
            model.bonus += to_bonus - from_bonus
            if model.active:
                model.wagered += stake * WEIGHTS.get(game, 0)
            model.close_if_due()
        elif op[0] == "deposit":
            amount = op[1]
            assert isinstance(amount, int)
            key = f"dep{next(_ids)}"
            scripts.run(
                "credit", [wallet, keys.applied_credit(player, key), events],
                [amount, 60_000, next(_ids), player, "EUR", key],
            )  # fmt: skip
            model.cash += amount
        elif op[0] == "withdraw":
            amount = op[1]
            assert isinstance(amount, int)
            payment = next(_ids)
            reply = scripts.run(
                "withdraw_lock", [wallet, keys.withdrawal(player, payment), journal, events],
                [payment, player, "EUR", amount, "sandbox"],
            )  # fmt: skip
            if amount <= model.cash:
                model.cash -= amount
            else:
                assert reply[0] == "INSUFFICIENT_FUNDS"
        else:
            if op[0] == "expire" and model.active:
                client.hset(bonus_key, "expires_at", 1)
            scripts.run(
                "bonus_end", [wallet, bonus_key, journal, events],
                ["", player, "EUR", "1" if op[0] == "forfeit" else "0"],
            )  # fmt: skip
            if model.active:
                model.active = False
                model.bonus = 0
        found = client.hmget(wallet, "cash", "bonus")
        assert (int(found[0] or 0), int(found[1] or 0)) == (model.cash, model.bonus), op
    assert model.converted_with is None or model.converted_with >= model.required


def _wagered_events(client: redis.Redis, player: int) -> list[tuple[int, int, int]]:
    """(counted, wagered, required) of the player's bonus_wagered events, in stream order."""
    found = []
    entries = client.xrange(keys.events_of(player))
    assert isinstance(entries, list)
    for _, fields in entries:
        assert isinstance(fields, dict)
        event = json.loads(fields["event"])
        if event["kind"] == "bonus_wagered" and event["player_id"] == player:
            found.append((event["counted"], event["wagered"], event["required"]))
    return found


def test_a_voided_round_takes_back_exactly_what_its_stakes_counted(client: redis.Redis) -> None:
    """Slots 100 %, blackjack 5 %: a spin of 3.00 counts 3.00; a blackjack round of 10.00
    doubled to 20.00 counts 0.50 + 0.50; voiding it takes back the 1.00, the spin's 3.00 stays."""
    scripts = Scripts(client)
    for name in ("reserve", "step", "release"):
        scripts.sources[name] = lua.source(name)
    player = next(_players)
    wallet, bonus_key = keys.wallet(player, "EUR"), keys.bonus(player, "EUR")
    journal, events = keys.journal_of(player), keys.events_of(player)
    client.hset(wallet, mapping={"cash": 10_000, "held": 0})
    digest = fair.seed_hash(SEED)
    client.hset(keys.fair_seed(player), mapping={
        "server_seed": SEED.hex(), "seed_hash": digest, "client_seed": "c", "nonce": 0,
    })  # fmt: skip
    award = next(_ids)
    reply = scripts.run(
        "bonus_grant",
        [wallet, bonus_key, keys.bonus_grant(player, award), journal, events],
        [award, player, "EUR", 1_000, "bonus", 30 * 1_000 * 100, 0, 10**15, "", GRANT_MARKER_MS,
         "", "classic-sevens", 100, "blackjack", 5],
    )  # fmt: skip
    assert reply[0] == "OK"
    spun = scripts.run(
        "spin",
        [wallet, keys.done(player, "s1"), keys.fair_seed(player), events, journal,
         keys.rg(player), bonus_key],
        [300, 0, "{}", 60_000, player, "classic-sevens", "EUR", "s1", "{}", digest, "c", 0,
         10**9, 10**9, "slot"],
    )  # fmt: skip
    assert spun[0] == "OK"
    table = [keys.wallet(player, "EUR"), keys.reservation(player, "b1"), keys.fair_seed(player),
             keys.open_rounds(player), journal, events, keys.rg(player), bonus_key]  # fmt: skip
    held = scripts.run(
        "reserve",
        table,
        [1_000, 60_000, player, "blackjack", "EUR", "b1", "{}", 10**9, 10**9, "table"],
    )
    assert held[0] == "OK", held
    doubled = scripts.run(
        "step",
        [wallet, keys.reservation(player, "b1"), keys.open_rounds(player), events,
         keys.rg(player), bonus_key],
        [0, 1_000, "{}", "{}", 60_000, player, "EUR", "table"],
    )  # fmt: skip
    assert doubled[0] == "OK", doubled
    assert client.hget(bonus_key, "wagered") == str(30_000 + 5_000 + 5_000)
    voided = scripts.run(
        "release",
        [wallet, keys.reservation(player, "b1"), journal, keys.open_rounds(player), events,
         keys.rg(player), bonus_key],
        ["voided", "0", 60_000],
    )  # fmt: skip
    assert voided[0] == "OK", voided
    assert client.hget(bonus_key, "wagered") == "30000"
    assert _wagered_events(client, player) == [
        (30_000, 30_000, 3_000_000),
        (5_000, 35_000, 3_000_000),
        (5_000, 40_000, 3_000_000),
        (-10_000, 30_000, 3_000_000),
    ]
