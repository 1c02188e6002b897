"""`run.py soak --minutes N`: the crash, race and fuzz scenarios in rounds, for as long as
asked, each on its own redis-server and server in a temporary directory.

Every round runs each scenario once (the fuzz until it has sent its share of
frames); the run ends when the time is up and every scenario ran at least once
and the fuzz has sent at least `--frames` frames. It prints what it tried and
what it found, and exits 1 on any finding.

Each fuzz run prints its seed (`--seed` chooses the first; the next runs count
up from it). A fuzz finding writes the frames that led to it, whole, to a file
in `--findings`; `--replay FILE` sends those frames again, checked the same way,
to a fresh redis-server and server, and exits 1 if a promise breaks again.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from server.tools.soak import crash, fuzz, race, replay
from server.tools.soak.stack import Stack, funded_player, settled_report

SCENARIOS = ("kill-server", "kill-redis", "database-locked", "race", "fuzz")


@dataclass
class Soak:
    deadline: float
    min_frames: int
    workdir: Path
    fuzz_examples: int = 2_000  # hypothesis examples per fuzz run, about 10,000 frames
    next_seed: int = 0  # of the next fuzz run
    findings_dir: Path | None = None  # where a fuzz finding's frames are written
    frames: int = 0
    tried: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        print(line, flush=True)

    async def attempt(self, name: str, scenario: Callable[[Path], Awaitable[str]]) -> None:
        started = time.monotonic()
        workdir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.workdir))
        try:
            said = await scenario(workdir)
        except fuzz.Finding as finding:
            self.found.append(f"{name}: {finding}")
            self.say(f"FOUND  {name}: {finding}")
        except Exception:
            self.found.append(f"{name}: crashed:\n{traceback.format_exc()}")
            self.say(f"FOUND  {name} crashed:\n{traceback.format_exc()}")
        else:
            self.tried.append(said)
            self.say(f"ok     {said} ({time.monotonic() - started:.0f}s)")

    async def fuzz_round(self, workdir: Path) -> str:
        seed, self.next_seed = self.next_seed, self.next_seed + 1
        self.say(f"fuzz seed {seed}")
        with Stack(workdir) as stack:
            client = await funded_player(stack.base_url, 10_000_000)
            async with client:
                assert client.token is not None
                ws_url = "ws" + stack.base_url.removeprefix("http") + "/ws"
                tally = await asyncio.to_thread(
                    fuzz.run,
                    ws_url,
                    client.token,
                    self.fuzz_examples,
                    False,
                    seed,
                    self.findings_dir,
                )
                self.frames += tally.frames
                wallet = await client.call("GET", "/api/wallet")
            if wallet["balance"] != 10_000_000 + tally.net:
                raise fuzz.Finding(f"balance {wallet['balance']} after fuzz: {tally.line()}")
            if not stack.alive():
                raise fuzz.Finding("the server died under the fuzz")
            await _reconciled(stack, "fuzz")
            return f"fuzz: {tally.line()} (seed {seed}; total {self.frames} frames)"

    async def race_round(self, workdir: Path) -> str:
        with Stack(workdir) as stack:
            result = await race.run(stack.base_url, stack.database_path)
            await _reconciled(stack, "race")
            return f"race: {result.line()}; books reconcile"

    def scenarios(self) -> dict[str, Callable[[Path], Awaitable[str]]]:
        return {
            "kill-server": lambda d: crash.crash_under_load(d, crash.kill_server, "kill -9 server"),
            "kill-redis": lambda d: crash.crash_under_load(d, crash.kill_redis, "kill -9 redis"),
            "database-locked": crash.database_locked_under_play,
            "race": self.race_round,
            "fuzz": self.fuzz_round,
        }

    async def run(self, only: list[str]) -> int:
        chosen = {k: v for k, v in self.scenarios().items() if not only or k in only}
        rounds = 0
        while rounds == 0 or time.monotonic() < self.deadline:
            rounds += 1
            self.say(f"-- round {rounds}")
            for name, scenario in chosen.items():
                await self.attempt(name, scenario)
        while "fuzz" in chosen and self.frames < self.min_frames and not self.found:
            await self.attempt("fuzz", self.fuzz_round)
        self.say(
            f"soak: {rounds} rounds, {len(self.tried)} scenario runs passed,"
            f" {self.frames} fuzz frames sent"
        )
        for line in self.found:
            self.say(f"FINDING {line}")
        self.say(f"{len(self.found)} findings" if self.found else "nothing found")
        return 1 if self.found else 0


async def _reconciled(stack: Stack, what: str) -> None:
    report = await settled_report(stack.redis.url, stack.database_path)
    if not report.ok:
        raise fuzz.Finding(f"{what}: the books do not reconcile:\n" + "\n".join(report.lines()))


async def replay_finding(record: replay.Record, workdir: Path) -> int:
    """Send a finding's frames again, as a fresh player on a fresh redis-server and server;
    0 when every promise held this time, 1 when one broke again (it says which)."""
    print(f"replaying {len(record.drafts)} frames of a finding of fuzz seed {record.seed}:")
    print(f"  it was: {record.finding}", flush=True)
    with Stack(workdir) as stack:
        client = await funded_player(stack.base_url, 10_000_000)
        async with client:
            assert client.token is not None
            ws_url = "ws" + stack.base_url.removeprefix("http") + "/ws"
            try:
                lines = await asyncio.to_thread(
                    fuzz.replay_frames, ws_url, client.token, record.drafts
                )
                await _reconciled(stack, "replay")
                if not stack.alive():
                    raise fuzz.Finding("the server died under the replay")
            except fuzz.Finding as finding:
                print(f"FINDING replay: {finding}", flush=True)
                return 1
    print("\n".join(lines))
    print("replayed: every frame was answered as promised; nothing found", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to keep going")
    parser.add_argument(
        "--frames", type=int, default=100_000, help="fuzz frames to send at the least"
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated scenarios (default all: {','.join(SCENARIOS)})"
    )
    parser.add_argument("--fuzz-examples", type=int, default=2_000, help="per fuzz run")
    parser.add_argument(
        "--seed", type=int, default=None, help="the first fuzz run's seed (default: random)"
    )
    parser.add_argument(
        "--findings",
        type=Path,
        default=Path("data/soak-findings"),
        help="where a fuzz finding's frames are written (default: data/soak-findings)",
    )
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="send a fuzz finding's frames again, then stop"
    )
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    record = None
    if args.replay is not None:
        try:
            record = replay.read(args.replay)
        except ValueError as error:
            parser.error(str(error))
    with tempfile.TemporaryDirectory(prefix="casino-soak-") as workdir:
        if record is not None:
            return asyncio.run(replay_finding(record, Path(workdir)))
        deadline = time.monotonic() + args.minutes * 60
        seed = fuzz.new_seed() if args.seed is None else args.seed
        soak = Soak(deadline, args.frames, Path(workdir), args.fuzz_examples, seed, args.findings)
        return asyncio.run(soak.run(only))
