"""The load driver: many concurrent players spinning over real WebSockets, timed.

Used by `run.py bench`. Each client is one player on one connection sending one
request at a time (as a real client does), so throughput comes from many
clients, not from pipelining one socket. Latency is measured per request from
send to reply; the warm-up is played but not counted.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import msgspec

import rng
from clients import verification
from clients.api import CasinoClient
from clients.lean_socket import LeanSocket

GAME_MIX = ("classic-sevens", "european-roulette", "punto-banco")


@dataclass(slots=True)
class LoadResult:
    requests: int = 0
    errors: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)
    latencies_ns: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bets_per_second(self) -> float:
        """Settled bets only: a refusal (SERVER_BUSY, INSUFFICIENT_FUNDS) is fast, not a bet."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_ns:
            return 0.0
        ordered = sorted(self.latencies_ns)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index] / 1e6


async def prepare_players(
    base_url: str, count: int, deposit: int, staff_token: str | None = None
) -> list[str]:
    """Register, log in and fund `count` players; their session tokens. With the server's
    `staff_token`, each is verified to KYC level 2 first, which a deposit above EUR 2,000
    needs."""

    async def one(index: int) -> str:
        name = f"bench_{rng.randbytes(5).hex()}_{index}"
        password = f"Bench-{rng.token_urlsafe(9)}!"
        async with CasinoClient(base_url, timeout_s=60) as client:
            await client.register(
                email=f"{name}@example.com",
                username=name,
                password=password,
                date_of_birth="1980-01-01",
                country="MT",
                currency="EUR",
            )
            token = await client.login(name, password)
            if staff_token is not None:
                await verification.verify(client, staff_token, 2)
            await client.deposit(deposit, idempotency_key=f"bench-{name}")
            return token

    semaphore = asyncio.Semaphore(8)  # password hashing is CPU-bound on the server

    async def limited(index: int) -> str:
        async with semaphore:
            return await one(index)

    return list(await asyncio.gather(*(limited(i) for i in range(count))))


def _request(request_id: int, mix: bool, stake: int) -> dict[str, object]:
    if not mix:
        return {"type": "spin", "id": request_id, "game": "classic-sevens", "stake": stake}
    game = GAME_MIX[request_id % len(GAME_MIX)]
    if game == "european-roulette":
        options = {"bets": [{"type": "red", "amount": stake}]}
        return {"type": "play", "id": request_id, "game": game, "stake": stake, "options": options}
    if game == "punto-banco":
        return {
            "type": "play",
            "id": request_id,
            "game": game,
            "stake": stake,
            "options": {"bet": "banker"},
        }
    return {"type": "spin", "id": request_id, "game": game, "stake": stake}


async def run_load(
    ws_url: str | Sequence[str],
    tokens: list[str],
    seconds: float,
    warmup: float,
    mix: bool = False,
    stake: int = 100,
    progress: Callable[[float, int], None] | None = None,
    think_s: float = 0.0,
) -> LoadResult:
    """Every token plays as fast as its replies come back, for warmup + seconds; with
    `think_s`, it waits between half and one and a half times that after each reply, as a
    person does (the fraud rules' ordinary players). Given several URLs (several hosts),
    the tokens take them in turn."""
    urls = [ws_url] if isinstance(ws_url, str) else list(ws_url)
    result = LoadResult()
    started = time.monotonic()
    measure_from = started + warmup
    stop_at = measure_from + seconds
    encoder = msgspec.msgpack.Encoder()
    decoder = msgspec.msgpack.Decoder()

    async def client(token: str, url: str) -> None:
        ws = await LeanSocket.connect(url)
        try:
            ws.send(encoder.encode({"type": "hello", "id": 0, "token": token}))
            await ws.recv()
            for request_id in itertools.count(1):
                now = time.monotonic()
                if now >= stop_at:
                    return
                sent = time.perf_counter_ns()
                ws.send(encoder.encode(_request(request_id, mix, stake)))
                while True:  # skip pushes: a reply carries our id
                    raw = await ws.recv()
                    reply = decoder.decode(raw if isinstance(raw, bytes) else raw.encode())
                    if reply.get("id") == request_id:
                        break
                if think_s:
                    await asyncio.sleep(think_s * (0.5 + rng.random()))
                if now < measure_from:
                    continue
                result.latencies_ns.append(time.perf_counter_ns() - sent)
                result.requests += 1
                if reply.get("type") == "error":
                    result.errors += 1
                    code = str(reply.get("code"))
                    result.error_codes[code] = result.error_codes.get(code, 0) + 1
        finally:
            ws.close()

    async def report() -> None:
        while time.monotonic() < stop_at:
            await asyncio.sleep(0.5)
            if progress is not None:
                progress(
                    min(1.0, (time.monotonic() - started) / (warmup + seconds)), result.requests
                )

    reporter = asyncio.create_task(report())
    await asyncio.gather(*(client(token, urls[i % len(urls)]) for i, token in enumerate(tokens)))
    reporter.cancel()
    if progress is not None:
        progress(1.0, result.requests)
    result.seconds = seconds
    return result


def histogram(
    latencies_ns: list[int],
    buckets_ms: tuple[float, ...] = (0.5, 1, 2, 5, 10, 15, 25, 50, 100, 250),
) -> list[tuple[str, int]]:
    """Counts of latencies per bucket, for the terminal histogram."""
    counts = [0] * (len(buckets_ms) + 1)
    for latency in latencies_ns:
        ms = latency / 1e6
        for index, bound in enumerate(buckets_ms):
            if ms <= bound:
                counts[index] += 1
                break
        else:
            counts[-1] += 1
    labels = [f"<= {bound:g} ms" for bound in buckets_ms] + [f"> {buckets_ms[-1]:g} ms"]
    return list(zip(labels, counts, strict=True))
