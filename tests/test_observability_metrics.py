"""/metrics moves as play happens: exact counter deltas around real deposits, spins,
refusals, an expired reservation and provider calls; and with --workers every worker's
scrape reports the sum over all of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from clients.api import ApiFailure, CasinoClient
from games.classic_slot import INFO as CLASSIC
from server.money.hot import HotWallet, Reserved
from server.rounds.ids import new_round_id
from server.storage.redis_child import RedisChild
from tests.conftest import (
    ServerProcess,
    new_player,
    serving_workers,
    start_server,
    stop_server,
    unique,
)
from tests.support.observability import Samples, delta, log_lines, scrape, value

EUR = {"currency": "EUR"}
SEVENS = {"game": CLASSIC.id, "currency": "EUR"}


async def _until(
    base_url: str, done: Callable[[Samples], bool], timeout_s: float = 10.0
) -> Samples:
    """Scrape until `done(samples)` holds (the flusher and sweeper work in the background)."""
    deadline = time.monotonic() + timeout_s
    while True:
        samples = await scrape(base_url)
        if done(samples) or time.monotonic() > deadline:
            return samples
        await asyncio.sleep(0.1)


async def test_bets_wins_payments_requests_and_sessions_move_exactly(
    casino: ServerProcess,
) -> None:
    before = await scrape(casino.base_url)
    client, _ = await new_player(casino.base_url, deposit=10_000)
    async with client:
        assert client.token is not None
        key = unique("dep-")
        await client.deposit(500, key)
        await client.deposit(500, key)  # the same key again: replayed, nothing moves
        with pytest.raises(ApiFailure):
            await client.deposit(700, key)  # the same key for another amount: refused
        async with client.socket() as sock:
            await sock.hello(client.token)
            during = await scrape(casino.base_url)
            spins = [await sock.spin(CLASSIC.id, 100) for _ in range(5)]
            refused = await sock.spin("no-such-game", 100)
        assert all(spin["type"] == "spin" for spin in spins)
        assert refused["code"] == "UNKNOWN_GAME"
    after = await _until(
        casino.base_url,
        lambda s: (
            delta(before, s, "casino_flusher_entries_total") >= 5
            and value(s, "casino_sessions_open") == value(before, "casino_sessions_open")
        ),
    )
    winners = [spin["payout"] for spin in spins if spin["payout"] > 0]
    assert delta(before, after, "casino_bets_total", **SEVENS) == 5
    assert delta(before, after, "casino_bet_amount_total", **SEVENS) == 500
    assert delta(before, after, "casino_wins_total", **SEVENS) == len(winners)
    assert delta(before, after, "casino_win_amount_total", **SEVENS) == sum(winners)

    deposit = {"kind": "deposit", "gateway": "sandbox", **EUR}
    assert delta(before, after, "casino_payments_total", **deposit, state="completed") == 2
    assert delta(before, after, "casino_payment_amount_total", **deposit, state="completed") == (
        10_500
    )
    assert delta(before, after, "casino_payments_total", **deposit, state="replayed") == 1
    assert delta(before, after, "casino_payments_total", **deposit, state="refused") == 1

    assert delta(before, after, "casino_ws_request_seconds_count", type="spin") == 6
    assert delta(before, after, "casino_ws_request_seconds_count", type="hello") == 1
    assert delta(before, after, "casino_ws_errors_total", type="spin", code="UNKNOWN_GAME") == 1
    registered = {"route": "/api/players", "method": "POST", "status": "201"}
    assert delta(before, after, "casino_http_request_seconds_count", **registered) == 1

    assert delta(before, during, "casino_sessions_open") == 1
    assert delta(before, after, "casino_sessions_open") == 0
    # Every committed entry had its settle-to-commit lag observed, in the same step.
    flushed = delta(before, after, "casino_flusher_entries_total")
    assert flushed >= 5
    assert delta(before, after, "casino_flusher_lag_seconds_count") == flushed
    assert value(after, "casino_backend_up", backend="redis") == 1
    assert value(after, "casino_backend_up", backend="database") == 1
    assert value(after, "casino_stream_length") >= 0


async def test_an_expired_reservation_is_counted_and_pending_ones_are_shown(
    casino: ServerProcess, redis_client: aioredis.Redis
) -> None:
    client, player = await new_player(casino.base_url, deposit=1_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await sock.spin(CLASSIC.id, 100)  # the player now has a provably fair seed
    before = await scrape(casino.base_url)
    # A stake held by a server that then died: nobody will settle it.
    hot = HotWallet(redis_client, reservation_ttl_ms=300)
    held = await hot.reserve(int(str(player["player_id"])), "EUR", new_round_id(), CLASSIC.id, 50)
    await hot.aclose()
    assert isinstance(held, Reserved)
    pending = await scrape(casino.base_url)
    assert value(pending, "casino_reservations_pending") >= 1
    after = await _until(
        casino.base_url,
        lambda s: delta(before, s, "casino_reservations_expired_total") >= 1,
    )
    assert delta(before, after, "casino_reservations_expired_total") == 1


async def test_reservations_past_due_are_shown_until_the_sweeper_resolves_them(
    casino: ServerProcess, redis_client: aioredis.Redis
) -> None:
    client, player = await new_player(casino.base_url, deposit=1_000)
    async with client, client.socket() as sock:
        assert client.token is not None
        await sock.hello(client.token)
        await sock.spin(CLASSIC.id, 100)  # the player now has a provably fair seed
    player_id = int(str(player["player_id"]))
    # Stakes held by a server that then died, falling due 0.2 s apart over more than one
    # sweeper pass (1 s): whenever the sweeper runs, one of them waits most of a pass for it.
    for ttl_ms in range(300, 1700, 200):
        hot = HotWallet(redis_client, reservation_ttl_ms=ttl_ms)
        held = await hot.reserve(player_id, "EUR", new_round_id(), CLASSIC.id, 50)
        await hot.aclose()
        assert isinstance(held, Reserved)
    due = await _until(
        casino.base_url, lambda s: value(s, "casino_reservations_past_due") >= 1, timeout_s=5
    )
    assert value(due, "casino_reservations_past_due") >= 1
    resolved = await _until(
        casino.base_url, lambda s: value(s, "casino_reservations_past_due") == 0
    )
    assert value(resolved, "casino_reservations_past_due") == 0


async def test_provider_calls_are_counted_by_provider_and_status(casino: ServerProcess) -> None:
    before = await scrape(casino.base_url)
    stamp = str(int(time.time()))
    async with httpx.AsyncClient(base_url=casino.base_url, timeout=10) as http:
        for provider in ("sandbox", "sandbox", "no-such-provider"):
            reply = await http.post(
                "/provider/user/balance",
                content=b"{}",
                headers={"X-Provider-Id": provider, "X-Timestamp": stamp, "X-Signature": "bm8="},
            )
            assert reply.json()["status"] == "RS_ERROR_INVALID_SIGNATURE"
    after = await scrape(casino.base_url)
    status = "RS_ERROR_INVALID_SIGNATURE"
    assert (
        delta(before, after, "casino_provider_calls_total", provider="sandbox", status=status) == 2
    )
    # An unregistered id is the caller's text: it never becomes a label value.
    assert (
        delta(before, after, "casino_provider_calls_total", provider="unknown", status=status) == 1
    )


async def test_metrics_token_guards_the_endpoint(tmp_path: Path, private_redis: RedisChild) -> None:
    server = start_server(tmp_path, private_redis, {"CASINO_METRICS_TOKEN": "s3cret-metrics"})
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            assert (await http.get("/metrics")).status_code == 401
            wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
        samples = await scrape(server.base_url, token="s3cret-metrics")
        assert value(samples, "casino_backend_up", backend="redis") == 1
    finally:
        stop_server(server)


def test_workers_report_the_sum_over_all_workers(tmp_path: Path) -> None:
    with serving_workers(tmp_path) as served:
        base_url = served.base_url

        async def play() -> list[Samples]:
            # Each player on its own connection, so the kernel spreads them over the workers.
            for _ in range(6):
                client, _ = await new_player(base_url, deposit=1_000)
                await client.__aexit__(None, None, None)
            scrapes = []
            for _ in range(6):  # each scrape a new connection, answered by either worker
                scrapes.append(await scrape(base_url))
            return scrapes

        scrapes = asyncio.run(play())
        completed = {"kind": "deposit", "gateway": "sandbox", "currency": "EUR"}
        totals = {
            value(s, "casino_payments_total", **completed, state="completed") for s in scrapes
        }
        assert totals == {6.0}
        pids = {entry["pid"] for entry in log_lines(served.log())}
        assert len(pids) >= 3  # the parent and both workers logged
    assert served.process.returncode == 0, served.log()
    log_lines(served.log())  # shutdown lines too: every line is JSON


async def test_the_request_id_is_echoed_and_a_sane_caller_id_kept(casino: ServerProcess) -> None:
    async with CasinoClient(casino.base_url) as client:
        reply = await client.http.get("/health", headers={"X-Request-ID": "lb-1234.abc"})
        assert reply.headers["x-request-id"] == "lb-1234.abc"
        odd = await client.http.get("/health", headers={"X-Request-ID": "no spaces <allowed>"})
        assert odd.headers["x-request-id"] != "no spaces <allowed>"
        assert len(odd.headers["x-request-id"]) == 16
