"""Balance and bonus-progress pushes come from money's events, each built in one place
(`balance_push`, `progress_push`) and relayed by one member of the `pushes` group from the push
streams the scripts copy them to: a round's event only when another session can hear it, every
other money event always, a stale event never, and no event of another kind ever."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
import redis.asyncio as aioredis

from server.events import lua as events_lua
from server.events import push, stream
from server.events.catalogue import (
    BonusWagered,
    DepositCredited,
    Event,
    LoggedIn,
    ProviderMovement,
    RoundSettled,
    StakeTaken,
    WithdrawalFunds,
    encode,
)
from server.storage.slots import shard

PLAYER = 77


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def settled(at_ms: int, balance: int = 1_150) -> RoundSettled:
    return RoundSettled(
        id=f"round:r{at_ms}", player_id=PLAYER, at_ms=at_ms, round_id=f"r{at_ms}",
        game="classic-sevens", currency="EUR", stake=100, win=250, balance=balance,
    )  # fmt: skip


def provider_bet(at_ms: int) -> ProviderMovement:
    return ProviderMovement(
        id=f"provider:p:t{at_ms}", player_id=PLAYER, at_ms=at_ms, provider_id="p",
        transaction_id=f"t{at_ms}", round_id="pr", game="slot", action="bet", amount=100,
        currency="EUR", balance=900,
    )  # fmt: skip


def wagered(at_ms: int, counted: int = 1_000) -> BonusWagered:
    return BonusWagered(
        id=f"wagered:round:r{at_ms}", player_id=PLAYER, at_ms=at_ms, award=5, counted=counted,
        wagered=151_050, required=1_500_000, currency="EUR",
    )  # fmt: skip


def withdrawal(action: Any) -> WithdrawalFunds:
    return WithdrawalFunds(
        id=f"withdrawal:1:{action}", player_id=PLAYER, at_ms=1, payment_id=1, action=action,
        amount=100, currency="EUR", balance=800,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (settled(1), "round"),
        (StakeTaken(id="s", player_id=PLAYER, at_ms=1, round_id="r", game="blackjack",
                    currency="EUR", amount=100, balance=1_150), "round"),
        (provider_bet(1), "provider"),
        (DepositCredited(id="c", player_id=PLAYER, at_ms=1, transfer="deposit:1", amount=100,
                         currency="EUR", balance=1_150), "deposit"),
        (withdrawal("locked"), "withdrawal"),
        (withdrawal("returned"), "withdrawal"),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)  # fmt: skip
def test_a_money_event_becomes_a_balance_push_with_its_reason(event: Event, reason: str) -> None:
    assert push.balance_push(event) == {
        "type": "balance_changed",
        "balance": event.balance,  # type: ignore[attr-defined]
        "currency": "EUR",
        "reason": reason,
    }


def test_a_paid_withdrawal_pushes_nothing_since_the_spendable_balance_did_not_move() -> None:
    assert push.balance_push(withdrawal("paid")) is None


def test_an_event_that_moves_no_money_pushes_nothing() -> None:
    login = LoggedIn(id="l", player_id=PLAYER, at_ms=1, address="::1", user_agent="x", outcome="ok")
    assert push.balance_push(login) is None


@pytest.fixture
async def relay(own_redis_client: aioredis.Redis) -> AsyncIterator[push.PushRelay]:
    await own_redis_client.flushall()
    relay = push.PushRelay(own_redis_client, "test-relay")
    await relay.consumer.join("$")
    yield relay
    await relay.consumer.leave()


async def relayed(client: aioredis.Redis, relay: push.PushRelay, events: list[Event]) -> list[Any]:
    """What the player's channel hears when `relay` reads `events`."""
    listener = client.pubsub()
    await listener.subscribe(push.channel(PLAYER))
    await listener.get_message(timeout=1.0)  # the subscription's confirmation
    for event in events:  # as `_emit_event.lua` copies them
        await client.xadd(stream.push_key(shard(event.player_id)), {stream.FIELD: encode(event)})
    await relay.relay_once(block_ms=1_000)
    heard = []
    while (message := await listener.get_message(timeout=0.2)) is not None:
        heard.append(msgspec.json.decode(message["data"]))
    await listener.aclose()
    return heard


async def open_sessions(client: aioredis.Redis, count: int) -> None:
    if count:
        await client.zadd(push.sessions_key(PLAYER), {f"session-{n}": n for n in range(count)})


# One event emitted the way every money script emits, with the push keys it is given last
# (ARGV[5] "1": as a script whose reply carries the bonus progress, spin.lua).
EMIT = (
    events_lua.source()
    + """
push_into(KEYS[2], KEYS[3], ARGV[5] == '1')
return emit_event(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), {})
"""
)


async def emitted(
    client: aioredis.Redis, kind: str, sessions: int, replies_progress: bool = False
) -> tuple[int, int]:
    """How many entries the event stream and the push stream hold after one `kind` event
    with `sessions` of the player's sessions open."""
    await client.flushall()
    await open_sessions(client, sessions)
    events, pushes = stream.key_of(PLAYER), stream.push_key(shard(PLAYER))
    flag = "1" if replies_progress else "0"
    await client.eval(EMIT, 3, events, *stream.push_keys_of(PLAYER), kind, "e1", PLAYER, 1, flag)
    return int(await client.xlen(events)), int(await client.xlen(pushes))


@pytest.mark.parametrize("kind", ["stake", "round_settled"])
@pytest.mark.parametrize(("sessions", "pushed"), [(0, 0), (1, 0), (2, 1), (3, 1)])
async def test_a_rounds_event_is_copied_for_a_push_only_when_another_session_can_hear_it(
    own_redis_client: aioredis.Redis, kind: str, sessions: int, pushed: int
) -> None:
    # The session that played has the new balance in its reply already.
    assert await emitted(own_redis_client, kind, sessions) == (1, pushed)


@pytest.mark.parametrize(("sessions", "pushed"), [(0, 0), (1, 0), (2, 1)])
async def test_a_spins_progress_is_copied_for_a_push_only_when_another_session_can_hear_it(
    own_redis_client: aioredis.Redis, sessions: int, pushed: int
) -> None:
    # The spin's reply carries the progress to the session that played.
    assert await emitted(own_redis_client, "bonus_wagered", sessions, True) == (1, pushed)


@pytest.mark.parametrize(
    "kind",
    ["provider", "deposit_credited", "withdrawal_funds", "bonus_granted", "bonus_ended",
     "bonus_wagered", "chargeback"],
)  # fmt: skip
async def test_every_other_money_event_is_copied_for_a_push_whatever_sessions_are_open(
    own_redis_client: aioredis.Redis, kind: str
) -> None:
    assert await emitted(own_redis_client, kind, 1) == (1, 1)


async def test_the_push_copy_is_the_event_itself(own_redis_client: aioredis.Redis) -> None:
    await emitted(own_redis_client, "provider", 0)
    events = await own_redis_client.xrange(stream.key_of(PLAYER)) or []
    copies = await own_redis_client.xrange(stream.push_key(shard(PLAYER))) or []
    assert [fields for _, fields in copies] == [fields for _, fields in events]
    assert len(events) == 1


async def test_the_relay_reads_the_push_streams_not_the_event_streams(
    own_redis_client: aioredis.Redis, relay: push.PushRelay
) -> None:
    listener = own_redis_client.pubsub()
    await listener.subscribe(push.channel(PLAYER))
    await listener.get_message(timeout=1.0)
    await stream.append(own_redis_client, [(PLAYER, encode(provider_bet(now_ms())))])
    assert await relay.relay_once(block_ms=200) == 0
    assert await listener.get_message(timeout=0.2) is None
    await listener.aclose()


async def test_a_provider_movement_is_pushed_whatever_sessions_are_open(
    own_redis_client: aioredis.Redis, relay: push.PushRelay
) -> None:
    assert await relayed(own_redis_client, relay, [provider_bet(now_ms())]) == [
        {"type": "balance_changed", "balance": 900, "currency": "EUR", "reason": "provider"}
    ]


async def test_an_event_older_than_the_stale_limit_is_dropped_not_pushed_late(
    own_redis_client: aioredis.Redis, relay: push.PushRelay
) -> None:
    stale = provider_bet(now_ms() - push.STALE_MS - 1_000)
    assert await relayed(own_redis_client, relay, [stale]) == []


async def test_events_of_one_batch_are_pushed_in_stream_order(
    own_redis_client: aioredis.Redis, relay: push.PushRelay
) -> None:
    at = now_ms()
    heard = await relayed(own_redis_client, relay, [settled(at, 1_100), settled(at + 1, 1_050)])
    assert [message["balance"] for message in heard] == [1_100, 1_050]


async def test_of_a_batch_only_each_bonuses_last_progress_is_pushed_and_every_balance(
    own_redis_client: aioredis.Redis, relay: push.PushRelay
) -> None:
    at = now_ms()
    batch: list[Event] = [
        msgspec.structs.replace(wagered(at), wagered=100_000),
        settled(at + 1, 1_100),
        msgspec.structs.replace(wagered(at + 2), wagered=152_000),
        msgspec.structs.replace(wagered(at + 3), award=6),
        settled(at + 4, 1_050),
    ]
    heard = await relayed(own_redis_client, relay, batch)
    assert [(m["type"], m.get("award"), m.get("wagered", m.get("balance"))) for m in heard] == [
        ("balance_changed", None, 1_100),
        ("bonus_progress", 5, 1_520),
        ("bonus_progress", 6, 1_510),
        ("balance_changed", None, 1_050),
    ]


def test_a_counted_stake_becomes_a_progress_push_in_whole_minor_units() -> None:
    assert push.push_for(wagered(1)) == {
        "type": "bonus_progress", "award": 5, "wagered": 1_510, "required": 15_000,
        "currency": "EUR",
    }  # fmt: skip


def test_a_progress_event_is_no_balance_push_and_a_balance_event_no_progress_push() -> None:
    assert (push.balance_push(wagered(1)), push.progress_push(settled(1))) == (None, None)
