"""Fraud rules on the event stream, against a real redis-server and a real SQLite file: each
rule fires on the abuse it names, stays silent on an ordinary player, and applies the
action its policy gives it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from protocol.errors import ErrorCode
from server import wiring
from server.accounts.profile import address_digests
from server.events import stream
from server.events.catalogue import (
    Deposited,
    Event,
    LoggedInV2,
    PaymentMethodSaved,
    ProfileChangedV2,
    ProviderMovement,
    RoundBets,
    RoundSettledV2,
    StakeTaken,
    Withdrawal,
    encode,
)
from server.kyc.levels import Action
from server.risk import alerts, features
from server.risk.geoip import GeoIp
from server.risk.monitor import Monitor
from server.risk.policy import Policy, PolicyError, from_data
from server.storage.database import Database
from tests.support import db as test_db
from tests.support import geoip as test_geoip

T0 = 1_700_000_000_000
MINUTE = 60_000
HOUR = 60 * MINUTE


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


class World:
    """A monitor on the module's own Redis, and the events it is fed."""

    def __init__(
        self, client: aioredis.Redis, db: Database, geo: GeoIp, policy: Policy | None = None
    ) -> None:
        self.client = client
        self.db = db
        self.statuses: list[tuple[int, str, str]] = []
        self.monitor = Monitor(client, db, policy or Policy(), geo, self._set_status, name="test")
        self.n = 0

    async def _set_status(self, player_id: int, status: str, reason: str) -> None:
        self.statuses.append((player_id, status, reason))

    async def feed(self, *events: Event) -> list[alerts.Alert]:
        await self.monitor.join("0")
        await stream.append(self.client, [(e.player_id, encode(e)) for e in events])
        raised = []
        while found := await self.monitor.consumer.read(1000):
            raised += await self.monitor.process(found)
        return raised

    def _id(self, kind: str) -> str:
        self.n += 1
        return f"{kind}:{self.n}"

    def deposit(self, player: int, amount: int, at: int) -> Deposited:
        return Deposited(
            id=self._id("deposit"), player_id=player, at_ms=at, deposit_id=self.n,
            amount=amount, currency="EUR", gateway="sandbox",
        )  # fmt: skip

    def withdrawal(self, player: int, amount: int, at: int) -> Withdrawal:
        return Withdrawal(
            id=self._id("withdrawal"), player_id=player, at_ms=at, payment_id=self.n,
            amount=amount, currency="EUR", gateway="sandbox", status="requested",
        )  # fmt: skip

    def stake(self, player: int, amount: int, at: int) -> StakeTaken:
        return StakeTaken(
            id=self._id("stake"), player_id=player, at_ms=at, round_id=f"r{self.n}",
            game="classic", currency="EUR", amount=amount, balance=0,
        )  # fmt: skip

    def roulette(
        self, player: int, at: int, bets: list[dict[str, object]], stake_bonus: int = 0
    ) -> RoundBets:
        stake = sum(int(str(bet["amount"])) for bet in bets)
        return RoundBets(
            id=self._id("bets"), player_id=player, at_ms=at, round_id=f"r{self.n}",
            game="european-roulette", currency="EUR", stake=stake, stake_bonus=stake_bonus,
            options={"bets": bets},
        )  # fmt: skip

    def login(
        self, player: int, at: int, address: str = "10.1.0.1", device: str = "dev-a",
        outcome: str = "ok",
    ) -> LoggedInV2:  # fmt: skip
        return LoggedInV2(
            id=self._id("login"), player_id=player, at_ms=at, address=address,
            user_agent="Firefox/140", outcome=outcome, device_id=device,  # type: ignore[arg-type]
        )  # fmt: skip

    def card(self, player: int, at: int, fingerprint: str) -> PaymentMethodSaved:
        return PaymentMethodSaved(
            id=self._id("payment_method"), player_id=player, at_ms=at, method_id=self.n,
            type="card", label="Card ending 4242", fingerprint=fingerprint,
        )  # fmt: skip

    def address(self, player: int, at: int, postal: str) -> ProfileChangedV2:
        whole, street = address_digests(postal)
        return ProfileChangedV2(
            id=self._id("profile"), player_id=player, at_ms=at, fields=["postal_address"],
            address_digest=whole, street_digest=street,
        )  # fmt: skip


@pytest.fixture(scope="module")
def geo(tmp_path_factory: pytest.TempPathFactory) -> GeoIp:
    return GeoIp.open(test_geoip.build(tmp_path_factory.mktemp("geoip")))


@pytest.fixture
def world(own_redis_client: aioredis.Redis, db: Database, geo: GeoIp) -> World:
    return World(own_redis_client, db, geo)


def rules_of(raised: list[alerts.Alert]) -> list[str]:
    return [alert.rule for alert in raised]


async def ordinary(world: World, player: int) -> list[alerts.Alert]:
    """A week of an ordinary player: logs in from home on one device each evening, deposits
    EUR 20-50, plays a stake every few seconds for a while, cashes out a win now and then."""
    raised = []
    for day in range(7):
        evening = T0 + day * 24 * HOUR
        raised += await world.feed(world.login(player, evening, address="10.1.0.7"))
        raised += await world.feed(world.deposit(player, (2 + day % 4) * 1_000, evening + MINUTE))
        raised += await world.feed(
            *(world.stake(player, 100, evening + 2 * MINUTE + n * 4_000) for n in range(60))
        )
        if day % 3 == 2:
            raised += await world.feed(world.withdrawal(player, 3_000, evening + HOUR))
    return raised


async def test_an_ordinary_players_week_raises_no_alert(world: World) -> None:
    assert await ordinary(world, 7) == []


async def test_a_deposit_far_above_the_players_own_history_is_flagged(world: World) -> None:
    await ordinary(world, 7)
    raised = await world.feed(world.deposit(7, 50_000, T0 + 8 * 24 * HOUR))
    assert rules_of(raised) == ["deposit_outlier"]
    assert raised[0].evidence == {"reason": "amount", "amount": 50_000, "average": 3_285,
                                  "history": 7}  # fmt: skip
    assert (raised[0].action, raised[0].severity, raised[0].status) == ("flag", "medium", "open")


async def test_many_deposits_in_an_hour_are_flagged_as_velocity(world: World) -> None:
    raised = await world.feed(*(world.deposit(8, 2_000, T0 + n * 5 * MINUTE) for n in range(5)))
    assert rules_of(raised) == ["deposit_outlier"]
    assert (raised[0].evidence["reason"], raised[0].evidence["count"]) == ("velocity", 5)
    assert len(raised[0].event_ids) == 5


async def test_withdrawal_requests_in_quick_succession_are_flagged(world: World) -> None:
    await world.feed(world.deposit(9, 10_000, T0))
    await world.feed(*(world.stake(9, 1_000, T0 + n * 10_000) for n in range(10)))
    raised = await world.feed(
        *(world.withdrawal(9, 1_000, T0 + HOUR + n * MINUTE) for n in range(4))
    )
    assert rules_of(raised) == ["withdrawal_outlier"]
    assert raised[0].evidence["count"] == 4


async def test_deposit_then_withdrawal_with_little_play_holds_withdrawals(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"quick_cashout": {"action": "hold_withdrawals"}}})
    world = World(own_redis_client, db, geo, policy)
    deposit = world.deposit(10, 20_000, T0)
    await world.feed(deposit, world.stake(10, 500, T0 + MINUTE))
    raised = await world.feed(world.withdrawal(10, 19_500, T0 + 10 * MINUTE))
    assert rules_of(raised) == ["quick_cashout"]
    alert = raised[0]
    assert alert.evidence == {"deposit": 20_000, "staked": 500, "withdrawal": 19_500,
                              "play_percent": 20}  # fmt: skip
    assert alert.event_ids[0] == deposit.id and alert.action == "hold_withdrawals"
    refusal = await alerts.withdrawal_rule(world.db)(Request(10))
    assert refusal is not None
    assert (refusal.code, refusal.extra["alert_id"]) == (ErrorCode.RISK_REVIEW_REQUIRED, alert.id)
    assert await alerts.withdrawal_rule(world.db)(Request(7)) is None


async def test_betting_faster_than_a_person_clicks_is_flagged(world: World) -> None:
    raised = await world.feed(*(world.stake(11, 100, T0 + n * 200) for n in range(40)))
    assert rules_of(raised) == ["rapid_betting"]
    assert raised[0].evidence == {"bets": 30, "window_s": 10}


def settled_round(
    player: int, n: int, game: str, free: bool = False, voided: bool = False
) -> RoundSettledV2:
    return RoundSettledV2(
        id=f"round:s{n}", player_id=player, at_ms=T0 + n * 200, round_id=f"s{n}", game=game,
        currency="EUR", stake=100, win=0, balance=0, voided=voided, free=free,
    )  # fmt: skip


async def test_slot_spins_settled_in_one_step_count_towards_rapid_betting(world: World) -> None:
    raised = await world.feed(*(settled_round(16, n, "classic-sevens") for n in range(30)))
    assert rules_of(raised) == ["rapid_betting"]
    assert raised[0].evidence == {"bets": 30, "window_s": 10}


async def test_free_spins_and_voided_rounds_are_no_bets(world: World) -> None:
    rounds = [settled_round(17, n, "classic-sevens", free=n % 2 == 0) for n in range(40)]
    voided = [settled_round(17, 100 + n, "classic-sevens", voided=True) for n in range(40)]
    assert await world.feed(*rounds, *voided) == []


async def test_a_blackjack_hands_settlement_is_not_counted_as_a_second_bet(world: World) -> None:
    hands = [world.stake(18, 100, T0 + n * 200) for n in range(29)]
    settled = [settled_round(18, n, "blackjack") for n in range(29)]
    assert await world.feed(*hands, *settled) == []


async def test_a_providers_bets_count_towards_rapid_betting(world: World) -> None:
    bets = [
        ProviderMovement(
            id=f"provider:p:t{n}",
            player_id=12,
            at_ms=T0 + n * 100,
            provider_id="p",
            transaction_id=f"t{n}",
            round_id=f"pr{n}",
            game="p-slot",
            action="bet",
            amount=100,
            currency="EUR",
            balance=0,
        )
        for n in range(30)
    ]
    assert rules_of(await world.feed(*bets)) == ["rapid_betting"]


async def test_a_players_bets_are_trimmed_to_the_keep_once_per_trim_period_and_expire(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features, "KEEP_STAKES", 10)
    monkeypatch.setattr(features, "TRIM_EVERY", 4)
    series = "{s:15}:p:15:risk:bets"
    sizes = []
    for n in range(16):  # one bet per batch, a minute apart: no rule fires
        await world.feed(world.stake(15, 100, T0 + n * MINUTE))
        sizes.append(await world.client.zcard(series))
    # Trimmed at the 1st bet, then at every 4th after it: the 13th leaves 10 of 13.
    assert sizes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 10, 11, 12, 13]
    assert 0 < await world.client.pttl(series) <= features.BETS_TTL_MS


async def test_an_event_delivered_twice_counts_once_and_raises_one_alert(world: World) -> None:
    bets = [world.stake(13, 100, T0 + n * 200) for n in range(29)]
    await world.feed(*bets, *bets)  # the whole batch relayed again: still 29 bets
    assert await world.monitor.features.client.zcard("{s:13}:p:13:risk:bets") == 29
    assert await alerts.listing(world.db) == []
    last = world.stake(13, 100, T0 + 29 * 200)
    assert rules_of(await world.feed(last, last)) == ["rapid_betting"]
    assert len(await alerts.listing(world.db, player_id=13)) == 1


async def test_a_rules_action_restricts_the_account_and_ends_its_sessions(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"rapid_betting": {"action": "restrict", "count": 5}}})
    world = World(own_redis_client, db, geo, policy)
    pushes = own_redis_client.pubsub()
    await pushes.subscribe("casino:push:14")
    raised = await world.feed(*(world.stake(14, 100, T0 + n * 100) for n in range(5)))
    assert rules_of(raised) == ["rapid_betting"]
    assert world.statuses == [(14, "restricted", "risk:rapid_betting")]
    message = None
    for _ in range(50):
        message = await pushes.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            break
    assert message is not None and message["data"] == '{"type":"forced_logout","reason":"risk"}'
    await pushes.aclose()


async def test_a_disabled_rule_stays_silent(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"rapid_betting": {"enabled": False}}})
    world = World(own_redis_client, db, geo, policy)
    assert await world.feed(*(world.stake(15, 100, T0 + n * 100) for n in range(40))) == []


# -- table rounds: hedged bets, minimal-risk play while clearing a bonus ------------------------


def red(amount: int) -> dict[str, object]:
    return {"type": "red", "amount": amount}


def black(amount: int) -> dict[str, object]:
    return {"type": "black", "amount": amount}


def dozen(index: int, amount: int) -> dict[str, object]:
    return {"type": "dozen", "index": index, "amount": amount}


async def ordinary_roulette(world: World, player: int, stake_bonus: int) -> list[alerts.Alert]:
    """An evening of ordinary roulette: a colour, a colour and a number, two dozens, odd with
    red (no pair), a few numbers: never both sides of a pair, never most of the wheel."""
    rounds = [
        [red(100)],
        [black(200), {"type": "straight", "numbers": [17], "amount": 50}],
        [dozen(1, 100), dozen(2, 100)],
        [red(100), {"type": "odd", "amount": 100}],
        [{"type": "corner", "numbers": [1, 2, 4, 5], "amount": 100}, {"type": "low", "amount": 50}],
    ]
    return await world.feed(
        *(
            world.roulette(player, T0 + n * MINUTE, bets, stake_bonus)
            for n, bets in enumerate(rounds)
        )
    )


async def test_an_ordinary_roulette_players_rounds_raise_no_alert(world: World) -> None:
    assert await ordinary_roulette(world, 180, stake_bonus=0) == []


async def test_an_ordinary_roulette_player_clearing_a_bonus_raises_no_alert(world: World) -> None:
    assert await ordinary_roulette(world, 181, stake_bonus=50) == []


async def test_red_and_black_in_one_round_are_hedged_bets(world: World) -> None:
    bets = [red(500), black(400), {"type": "straight", "numbers": [0], "amount": 100}]
    raised = await world.feed(world.roulette(182, T0, bets))
    assert rules_of(raised) == ["hedged_bets"]
    assert raised[0].evidence == {
        "game": "european-roulette", "round_id": "r1", "stake": 1_000, "stake_bonus": 0,
        "hedged": 800, "pairs": ["red+black"], "covered": 37, "pockets": 37,
    }  # fmt: skip
    assert (raised[0].severity, raised[0].action) == ("medium", "flag")


async def test_odd_and_even_and_low_and_high_are_hedged_pairs_too(world: World) -> None:
    bets: list[dict[str, object]] = [
        {"type": t, "amount": 100} for t in ("odd", "even", "low", "high")
    ]
    raised = await world.feed(world.roulette(183, T0, bets))
    assert rules_of(raised) == ["hedged_bets"]
    assert (raised[0].evidence["hedged"], raised[0].evidence["pairs"]) == (
        400,
        ["odd+even", "low+high"],
    )


async def test_a_small_hedge_beside_a_large_bet_is_below_the_threshold(world: World) -> None:
    bets = [red(50), black(50), {"type": "straight", "numbers": [7], "amount": 900}]
    assert await world.feed(world.roulette(184, T0, bets)) == []


async def test_covering_most_of_the_wheel_with_bonus_money_is_low_risk_bonus_play(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"bonus_low_risk": {"action": "block_bonuses"}}})
    world = World(own_redis_client, db, geo, policy)
    bets = [dozen(1, 100), dozen(2, 100), dozen(3, 100)]
    raised = await world.feed(world.roulette(185, T0, bets, stake_bonus=300))
    assert rules_of(raised) == ["bonus_low_risk"]
    assert raised[0].evidence == {
        "game": "european-roulette", "round_id": "r1", "stake": 300, "stake_bonus": 300,
        "hedged": 0, "pairs": [], "covered": 36, "pockets": 37,
    }  # fmt: skip
    assert (raised[0].severity, raised[0].action) == ("high", "block_bonuses")


async def test_the_same_coverage_staked_with_cash_only_is_no_bonus_play(world: World) -> None:
    bets = [dozen(1, 100), dozen(2, 100), dozen(3, 100)]
    assert await world.feed(world.roulette(186, T0, bets, stake_bonus=0)) == []


async def test_a_bonus_players_hedged_round_raises_both_table_rules(world: World) -> None:
    raised = await world.feed(world.roulette(187, T0, [red(100), black(100)], stake_bonus=20))
    assert rules_of(raised) == ["hedged_bets", "bonus_low_risk"]


async def test_a_baccarat_round_takes_one_side_and_is_never_hedged(world: World) -> None:
    event = RoundBets(
        id="bets:b1", player_id=188, at_ms=T0, round_id="b1", game="punto-banco",
        currency="EUR", stake=1_000, stake_bonus=1_000, options={"bet": "banker"},
    )  # fmt: skip
    assert await world.feed(event) == []


class Request:
    def __init__(self, player_id: int) -> None:
        self.player_id = player_id


# -- logins: signals, devices, countries, travel, spraying, shared devices ----------------------


async def test_every_login_records_its_address_country_device_and_agent(world: World) -> None:
    first = world.login(20, T0, address="10.1.2.3", device="dev-x")
    failed = world.login(20, T0 + MINUTE, address="10.9.9.9", device="dev-y", outcome="failed")
    await world.feed(first, failed)
    rows = await world.db.fetchall(
        "SELECT event_id, outcome, address, country, device_id, user_agent FROM login_signals"
        " WHERE player_id = 20 ORDER BY at_ms"
    )
    assert [tuple(row) for row in rows] == [
        (first.id, "ok", "10.1.2.3", "DE", "dev-x", "Firefox/140"),
        (failed.id, "failed", "10.9.9.9", "", "dev-y", "Firefox/140"),
    ]


async def test_an_ordinary_players_logins_from_home_and_a_holiday_raise_nothing(
    world: World,
) -> None:
    raised = await world.feed(*(world.login(21, T0 + day * 24 * HOUR) for day in range(5)))
    # A trip to Paris by train, same phone, logging in on arrival a day later.
    raised += await world.feed(world.login(21, T0 + 6 * 24 * HOUR, address="10.3.0.5"))
    assert rules_of(raised) == ["new_country"]  # the one thing worth a glance: flagged, low harm
    assert raised[0].evidence == {"country": "FR", "address": "10.3.0.5"}


async def test_a_login_from_a_device_never_seen_is_flagged(world: World) -> None:
    await world.feed(
        world.login(22, T0, device="phone"), world.login(22, T0 + HOUR, device="phone")
    )
    raised = await world.feed(world.login(22, T0 + 2 * HOUR, device="laptop"))
    assert rules_of(raised) == ["new_device"]
    assert (raised[0].evidence["device_id"], raised[0].severity) == ("laptop", "low")


async def test_the_first_login_of_an_account_is_no_new_device(world: World) -> None:
    assert await world.feed(world.login(23, T0, device="phone")) == []


async def test_two_logins_too_far_apart_for_the_time_between_are_impossible_travel(
    world: World,
) -> None:
    berlin = world.login(24, T0, address="10.1.0.1")
    await world.feed(berlin)
    raised = await world.feed(world.login(24, T0 + 2 * HOUR, address="10.2.0.1"))
    assert sorted(rules_of(raised)) == ["impossible_travel", "new_country"]
    travel = next(alert for alert in raised if alert.rule == "impossible_travel")
    assert travel.evidence == {"km": 16095, "minutes": 120.0, "from": "DE", "to": "AU"}
    assert travel.event_ids[0] == berlin.id


async def test_berlin_to_paris_in_a_day_is_no_impossible_travel(world: World) -> None:
    await world.feed(world.login(25, T0, address="10.1.0.1"))
    raised = await world.feed(world.login(25, T0 + 24 * HOUR, address="10.3.0.1"))
    assert "impossible_travel" not in rules_of(raised)


async def test_failed_logins_on_many_accounts_from_one_address_are_password_spraying(
    world: World,
) -> None:
    tries = [
        world.login(30 + n, T0 + n * 1_000, address="10.2.7.7", outcome="failed") for n in range(5)
    ]
    raised = await world.feed(*tries)
    assert rules_of(raised) == ["password_spraying"]
    assert raised[0].evidence == {"address": "10.2.7.7", "accounts": [30, 31, 32, 33, 34],
                                  "window_s": 600}  # fmt: skip


async def test_one_player_mistyping_a_password_a_few_times_is_no_spraying(world: World) -> None:
    tries = [
        world.login(40, T0 + n * 1_000, address="10.1.7.7", outcome="failed") for n in range(6)
    ]
    assert await world.feed(*tries, world.login(40, T0 + 10_000, address="10.1.7.7")) == []


async def test_accounts_sharing_a_device_id_are_linked_in_one_cluster(world: World) -> None:
    await world.feed(world.login(50, T0, device="shared-phone"))
    raised = await world.feed(world.login(51, T0 + HOUR, device="shared-phone"))
    assert rules_of(raised) == ["shared_device"]
    assert raised[0].evidence == {
        "link": "device", "value": "shared-phone", "accounts": [50, 51],
        "cluster_id": "cluster:50", "cluster": [50, 51],
        "links": [{"kind": "device", "value": "shared-phone", "accounts": [50, 51]}],
    }  # fmt: skip


async def test_a_user_agent_stand_in_is_no_shared_device(world: World) -> None:
    # Scripts without a device id are told apart by their agent: many people share one.
    await world.feed(world.login(52, T0, device="ua:0123456789abcdef"))
    assert await world.feed(world.login(53, T0 + HOUR, device="ua:0123456789abcdef")) == []


# -- multi-accounting: instruments, addresses, households, clusters ------------------------------


async def test_accounts_saving_one_card_are_linked_by_the_gateways_fingerprint(
    world: World,
) -> None:
    await world.feed(world.card(100, T0, "fp_same"))
    raised = await world.feed(world.card(101, T0 + HOUR, "fp_same"))
    assert rules_of(raised) == ["shared_instrument"]
    assert (raised[0].severity, raised[0].player_id) == ("high", 101)
    assert raised[0].evidence == {
        "link": "instrument", "value": "fp_same", "type": "card", "label": "Card ending 4242",
        "accounts": [100, 101], "cluster_id": "cluster:100", "cluster": [100, 101],
        "links": [{"kind": "instrument", "value": "fp_same", "accounts": [100, 101]}],
    }  # fmt: skip


async def test_a_player_saving_their_own_card_again_links_nothing(world: World) -> None:
    # A card tokenised twice: two tokens, one fingerprint, one account.
    raised = await world.feed(world.card(102, T0, "fp_own"), world.card(102, T0 + HOUR, "fp_own"))
    raised += await world.feed(world.card(103, T0, "fp_other"))
    assert raised == []


async def test_accounts_at_one_address_written_differently_are_linked(world: World) -> None:
    await world.feed(world.address(110, T0, "Flat 2, 10 High St., London N1 1AA"))
    raised = await world.feed(world.address(111, T0 + HOUR, "flat 2  10 high st london n1 1aa"))
    assert rules_of(raised) == ["shared_address"]
    assert raised[0].evidence["accounts"] == [110, 111]
    assert raised[0].evidence["cluster_id"] == "cluster:110"


async def test_neighbours_in_one_building_on_their_own_devices_are_not_linked(
    world: World,
) -> None:
    raised = await world.feed(
        world.address(120, T0, "10 High St, Flat 1, London"),
        world.address(121, T0, "10 High St, Flat 2, London"),
        world.login(120, T0 + HOUR, device="phone-120"),
        world.login(121, T0 + HOUR, device="phone-121"),
    )
    assert raised == []


async def test_one_device_in_two_flats_of_one_building_is_a_household(world: World) -> None:
    await world.feed(
        world.address(130, T0, "10 High St, Flat 1, London"),
        world.address(131, T0, "10 High St, Flat 2, London"),
        world.login(130, T0 + HOUR, device="tablet"),
    )
    raised = await world.feed(world.login(131, T0 + 2 * HOUR, device="tablet"))
    assert sorted(rules_of(raised)) == ["household", "shared_device"]
    found = next(alert for alert in raised if alert.rule == "household")
    assert (found.evidence["link"], found.evidence["accounts"]) == ("household", [130, 131])
    assert [link["kind"] for link in found.evidence["links"]] == ["device", "household"]


async def test_an_address_change_into_the_building_of_a_shared_device_is_a_household(
    world: World,
) -> None:
    await world.feed(
        world.login(140, T0, device="laptop"),
        world.login(141, T0, device="laptop"),
        world.address(140, T0 + HOUR, "22 Elm Road, Flat A"),
    )
    raised = await world.feed(world.address(141, T0 + 2 * HOUR, "22 elm road, flat b"))
    assert rules_of(raised) == ["household"]
    assert raised[0].evidence["accounts"] == [140, 141]


async def test_links_of_every_kind_join_one_cluster_the_alert_lists(world: World) -> None:
    await world.feed(world.login(150, T0, device="phone-x"))
    await world.feed(world.login(151, T0 + MINUTE, device="phone-x"))  # 150-151: a device
    await world.feed(world.card(151, T0 + HOUR, "fp_z"))
    raised = await world.feed(world.card(152, T0 + 2 * HOUR, "fp_z"))  # 151-152: a card
    assert rules_of(raised) == ["shared_instrument"]
    evidence = raised[0].evidence
    assert (evidence["cluster_id"], evidence["cluster"]) == ("cluster:150", [150, 151, 152])
    assert evidence["links"] == [
        {"kind": "device", "value": "phone-x", "accounts": [150, 151]},
        {"kind": "instrument", "value": "fp_z", "accounts": [151, 152]},
    ]


# -- the consumer: offsets, restarts, reclaiming ---------------------------------------------------


async def test_a_restarted_monitor_resumes_after_what_its_group_acknowledged(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    first = World(own_redis_client, db, geo)
    await first.feed(*(first.stake(60, 100, T0 + n * 100) for n in range(20)))
    assert first.monitor.counters.events == 20
    second = World(own_redis_client, db, geo)  # a new process: same group, a new member
    second.monitor.consumer.name = "test-2"
    second.n = 100
    raised = await second.feed(*(second.stake(60, 100, T0 + 2_000 + n * 100) for n in range(10)))
    assert second.monitor.counters.events == 10  # only what came after
    assert rules_of(raised) == ["rapid_betting"]  # the features remembered the first 20


async def test_a_dead_members_pending_events_are_reclaimed_and_evaluated(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    dead = World(own_redis_client, db, geo)
    await dead.monitor.join("0")
    bets = [dead.stake(61, 100, T0 + n * 100) for n in range(30)]
    await stream.append(own_redis_client, [(e.player_id, encode(e)) for e in bets])
    assert len(await dead.monitor.consumer.read(1000)) == 30  # read, then died before acking
    alive = World(own_redis_client, db, geo)
    alive.monitor.consumer.name = "alive"
    raised = await alive.monitor.process(await alive.monitor.consumer.reclaim(0, 1000))
    assert rules_of(raised) == ["rapid_betting"]
    assert await alive.monitor.consumer.read(1000) == []


# -- staff: resolving -----------------------------------------------------------------------------


async def test_dismissing_a_restricting_alert_reopens_the_account_with_an_audit_entry(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"quick_cashout": {"action": "restrict"}}})
    world = World(own_redis_client, db, geo, policy)
    await world.feed(world.deposit(70, 20_000, T0))
    (alert,) = await world.feed(world.withdrawal(70, 20_000, T0 + MINUTE))
    statuses: list[tuple[int, str, str]] = []

    async def set_status(player_id: int, status: str, reason: str) -> None:
        statuses.append((player_id, status, reason))

    resolved = await alerts.resolve(
        db, alert.id, "dismissed", "ann", "known player, paid rent", "10.0.0.9", set_status
    )
    assert (resolved.status, resolved.resolved_by, resolved.resolved_reason) == (
        "dismissed", "ann", "known player, paid rent",
    )  # fmt: skip
    assert statuses == [(70, "active", "risk:quick_cashout:dismissed")]
    assert await alerts.withdrawal_rule(db)(Request(70)) is None
    (entry,) = await db.fetchall(
        "SELECT actor, action, subject, reason, address FROM audit_trail"
        " WHERE action = 'risk_alert_dismissed'"
    )
    assert tuple(entry) == (
        "staff:ann", "risk_alert_dismissed", "player:70", "known player, paid rent", "10.0.0.9",
    )  # fmt: skip
    with pytest.raises(Exception) as again:
        await alerts.resolve(db, alert.id, "confirmed", "ann", "second thoughts")
    assert getattr(again.value, "code", None) is ErrorCode.RISK_ALERT_RESOLVED


async def test_a_confirmed_hold_keeps_withdrawals_held(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"quick_cashout": {"action": "hold_withdrawals"}}})
    world = World(own_redis_client, db, geo, policy)
    await world.feed(world.deposit(71, 20_000, T0))
    (alert,) = await world.feed(world.withdrawal(71, 20_000, T0 + MINUTE))
    await alerts.resolve(world.db, alert.id, "confirmed", "ann", "card testing ring")
    refusal = await alerts.withdrawal_rule(world.db)(Request(71))
    assert refusal is not None and refusal.code is ErrorCode.RISK_REVIEW_REQUIRED


def test_a_policy_names_the_kyc_level_a_require_kyc_action_asks_for() -> None:
    policy = from_data({"rules": {"new_device": {"action": "require_kyc", "kyc_level": 1}}})
    settings = policy.rule("new_device")
    assert settings is not None and (settings.action, settings.kyc_level) == ("require_kyc", 1)
    with pytest.raises(PolicyError, match="new_device: kyc_level is 1 or 2"):
        from_data({"rules": {"new_device": {"kyc_level": 3}}})
    with pytest.raises(PolicyError, match="household: action is one of flag, require_kyc"):
        from_data({"rules": {"household": {"action": "ban"}}})


async def test_a_require_kyc_hit_records_its_level_on_the_alert(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    policy = from_data({"rules": {"rapid_betting": {"action": "require_kyc", "count": 5}}})
    world = World(own_redis_client, db, geo, policy)
    (alert,) = await world.feed(*(world.stake(160, 100, T0 + n * 100) for n in range(5)))
    assert (alert.action, alert.kyc_level) == ("require_kyc", 2)
    assert world.statuses == []  # the account itself is left as it is
    assert await alerts.kyc_requirement(db, 160) == alert
    assert await alerts.kyc_requirement(db, 161) is None


async def test_a_require_kyc_alert_asks_its_level_of_withdrawals_and_large_deposits_only(
    own_redis_client: aioredis.Redis, db: Database, geo: GeoIp
) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO players (id, email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES (170, 'p170@example.com', 'p170', 'x',"
            " '1985-06-15', 'DE', 'EUR', ?)",
            (T0,),
        )
    assert await wiring.risk_kyc(db, 170, Action.WITHDRAW, 1_000) is None  # no alert yet
    policy = from_data({"rules": {"rapid_betting": {"action": "require_kyc", "count": 5}}})
    world = World(own_redis_client, db, geo, policy)
    await world.feed(*(world.stake(170, 100, T0 + n * 100) for n in range(5)))
    refusal = await wiring.risk_kyc(db, 170, Action.WITHDRAW, 1_000)
    assert refusal is not None
    assert (refusal.code, refusal.extra) == (ErrorCode.KYC_REQUIRED, {"required": 2, "level": 0})
    assert await wiring.risk_kyc(db, 170, Action.DEPOSIT, 200_000) is None  # at the threshold
    large = await wiring.risk_kyc(db, 170, Action.DEPOSIT, 200_001)
    assert large is not None and large.code is ErrorCode.KYC_REQUIRED
