"""`run.py bench`: how many rounds per second one server settles, how flat its latency is,
and how that compares with the machine's ceilings measured in the same run.

It starts its own redis-server and server (unless given --url and --redis-url),
funds players, drives them with `clients.loadgen` from this process, and reads
the server's CPU time from /proc. Ceilings: a bare Starlette WebSocket echo on
the same uvicorn stack, and a bare EVALSHA loop against the same Redis. The
flusher's lag is settle-to-durable time per round, from the rounds table.

The database is a SQLite file, or with `--database postgres` a private PostgreSQL
cluster (server/storage/private_postgres.py) with a fresh database per run. `--hosts N`
adds a run of N `serve` processes on N ports, standing for hosts, sharing the one Redis
and the one database; the clients take the hosts in turn, and the CPU counted is every
process of every host.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import msgspec
import redis.asyncio as aioredis
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from websockets.asyncio.client import connect

from clients import idle_sessions, loadgen
from server.observability import backlog
from server.storage import private_postgres
from server.storage.database import DatabaseTarget, is_postgres, peek
from server.storage.private_postgres import PostgresCluster
from server.storage.redis_child import RedisChild, free_port
from server.storage.redis_client import connect as connect_redis
from server.tools import risk_figures
from server.wiring import backlog_keys

ROOT = Path(__file__).resolve().parents[2]
console = Console()

# Our figures as shares of the machine's ceilings measured in the same run.
RATIOS = {
    "ratio_to_ws_echo": "ceiling_ws_echo_per_s",
    "ratio_to_redis_evalsha": "ceiling_redis_evalsha_per_s",
}

UNLIMITED = {
    "CASINO_RATE_PER_SECOND": "1000000",
    "CASINO_RATE_BURST": "1000000",
    "CASINO_MAX_SESSIONS_PER_PLAYER": "100000",
    "CASINO_MAX_CONNECTIONS_PER_IP": "100000",
    "CASINO_MAX_PENDING": "64",
    "CASINO_REGISTRATIONS_PER_ADDRESS": "1000000",  # every client registers from 127.0.0.1
    # Each player is funded with 1,000,000.00 of play money, past the demo's daily limit.
    "CASINO_SANDBOX_DAILY_DEPOSIT_LIMIT": "1000000000000",
}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total = 0.0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
        stack.extend(children.get(current, []))
    return total


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _wait_healthy(url: str, process: subprocess.Popen[bytes] | None, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):  # noqa: S310 (local)
                return
        except OSError:
            if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError(f"no server answered at {url}") from None
            time.sleep(0.1)


def _raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


BENCH_STAFF_TOKEN = "bench-staff-token-" + "0" * 24  # a private server's staff API, nothing else


class Stack:
    """The server under test: ours when started here (`hosts` serve processes on as many
    ports, sharing one Redis and one database), or one already running."""

    def __init__(
        self,
        args: argparse.Namespace,
        workdir: Path,
        workers: int,
        hosts: int = 1,
        database: str = "",
    ) -> None:
        self.args = args
        self.workdir = workdir
        self.workers = workers
        self.hosts = hosts
        self.redis: RedisChild | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = [args.url] if args.url else []
        self.redis_url = args.redis_url or ""
        # What the flusher writes to: a PostgreSQL URL, or one SQLite file every host shares;
        # unknown for a server already running (its lag is then not measured).
        self.database: DatabaseTarget | None = None
        if not args.url:
            self.database = database or workdir / "casino.db"

    def __enter__(self) -> Stack:
        if self.urls:
            return self
        try:
            self._start()
        except BaseException:
            self.__exit__()  # a host that would not start: stop those that did, and Redis
            raise
        return self

    def _start(self) -> None:
        if not self.redis_url:
            self.redis = RedisChild(self.workdir / "redis", appendfsync=self.args.appendfsync)
            self.redis_url = self.redis.start()
        assert self.database is not None
        database_url = (
            str(self.database) if is_postgres(self.database) else f"sqlite:///{self.database}"
        )
        for host in range(self.hosts):
            port = free_port()
            home = self.workdir / f"host-{host}"
            home.mkdir()
            env = {
                **os.environ,
                **UNLIMITED,
                "CASINO_NO_BOOTSTRAP": "1",
                "CASINO_DATA_DIR": str(home),
                "CASINO_DATABASE_URL": database_url,
                "CASINO_REDIS_URL": self.redis_url,
                "CASINO_STAFF_TOKEN": BENCH_STAFF_TOKEN,
            }
            log = (self.workdir / f"server-{self.workers}-{host}.log").open("wb")
            command = [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)]
            if self.workers > 1:
                command += ["--workers", str(self.workers)]
            self.processes.append(
                subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            )
            self.urls.append(f"http://127.0.0.1:{port}")
            if host == 0:
                # The first migrates the fresh database; the others start on it together.
                _wait_healthy(self.urls[0], self.processes[0])
        for url, process in zip(self.urls, self.processes, strict=True):
            _wait_healthy(url, process)
        time.sleep(0.5 * self.workers)  # let every worker finish its start-up

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(60)
        if self.redis is not None:
            self.redis.stop()

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def ws_urls(self) -> list[str]:
        return ["ws" + url.removeprefix("http") + "/ws" for url in self.urls]

    @property
    def ws_url(self) -> str:
        return self.ws_urls[0]

    def cpu_seconds(self) -> float:
        """CPU of every process of every host we started (each server with its children:
        workers, flusher, fraud monitor); 0 for a server already running."""
        return sum(_cpu_seconds(process.pid) for process in self.processes)


async def _echo_ceiling(clients: int, seconds: float) -> float:
    port = free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, before the clock runs)
        [sys.executable, "-m", "server.tools.bench_echo", str(port)], cwd=ROOT, env={**os.environ}
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                async with connect(f"ws://127.0.0.1:{port}/ws"):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        frame = msgspec.msgpack.encode(
            {"type": "spin", "id": 1, "game": "classic-sevens", "stake": 100}
        )
        count = 0
        stop_at = time.monotonic() + seconds

        async def one() -> None:
            nonlocal count
            async with connect(f"ws://127.0.0.1:{port}/ws", compression=None) as ws:
                while time.monotonic() < stop_at:
                    await ws.send(frame)
                    await ws.recv()
                    count += 1

        await asyncio.gather(*(one() for _ in range(clients)))
        return count / seconds
    finally:
        process.terminate()
        process.wait(10)


async def _redis_ceiling(redis_url: str, clients: int, seconds: float) -> float:
    client: aioredis.Redis = connect_redis(redis_url)
    script = client.register_script("redis.call('INCR', KEYS[1]) return 1")
    count = 0
    stop_at = time.monotonic() + seconds

    async def one(index: int) -> None:
        nonlocal count
        while time.monotonic() < stop_at:
            await script(keys=[f"{{bench:{index}}}:n"])
            count += 1

    try:
        await asyncio.gather(*(one(i) for i in range(clients)))
    finally:
        await client.aclose()
    return count / seconds


def _flusher_lag_ms(database: DatabaseTarget, since_ms: int) -> tuple[float, float, int]:
    """(p50, p99) of settle-to-durable time for rounds settled since `since_ms`, and the count.
    Read a row at a time with OFFSET, the same SQL on both dialects (SQLite has no
    percentile function)."""
    counted = peek(
        database,
        "SELECT COUNT(*) FROM rounds WHERE settled_at >= ? AND flushed_at IS NOT NULL",
        (since_ms,),
    )
    count = int(counted[0]) if counted else 0
    if not count:
        return 0.0, 0.0, 0

    def at(rank: int) -> float:
        row = peek(
            database,
            "SELECT flushed_at - settled_at FROM rounds WHERE settled_at >= ?"
            " AND flushed_at IS NOT NULL ORDER BY flushed_at - settled_at LIMIT 1 OFFSET ?",
            (since_ms, rank),
        )
        return float(row[0]) if row else 0.0

    return at(count // 2), at(min(count - 1, int(count * 0.99))), count


async def _wait_flushed(redis_url: str, timeout_s: float = 60) -> None:
    client: aioredis.Redis = connect_redis(redis_url)
    try:
        deadline = time.monotonic() + timeout_s
        watched = backlog_keys()
        while time.monotonic() < deadline:
            if not (await backlog.measure(client, watched)).stream_length:
                return
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()


async def _idle_memory(stack: Stack, tokens: list[str], sessions: int) -> dict[str, Any]:
    """Server memory per idle authenticated session, with `sessions` of them open at once."""
    server_pid = stack.processes[0].pid
    before = _rss_bytes(server_pid)
    console.print(f"opening {sessions} idle sessions")
    held = await idle_sessions.hold(stack.ws_url, tokens, sessions)
    try:
        await asyncio.sleep(1)  # let the server finish what each hello started
        after = _rss_bytes(server_pid)
    finally:
        await held.close()
    return {
        "idle_sessions": sessions,
        "idle_sessions_open": held.open,
        "idle_sessions_refused": held.refused,
        "server_rss_before_idle_bytes": before,
        "server_rss_with_idle_bytes": after,
        "bytes_per_idle_session": round((after - before) / max(1, held.open)),
    }


class _Progress:
    """The load's progress: a bar on a terminal, a line every few seconds elsewhere (a log
    or a test reads those)."""

    def __init__(self) -> None:
        self.bar: Progress | None = None
        self.printed_at = 0.0

    def __enter__(self) -> _Progress:
        if console.is_terminal:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[done]} requests"),
                console=console,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task("load", total=1.0, done=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def update(self, fraction: float, done: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=fraction, done=done)
        elif time.monotonic() - self.printed_at >= 2 or fraction >= 1:
            self.printed_at = time.monotonic()
            console.print(f"load {fraction:.0%}: {done} requests")


async def _measure(
    args: argparse.Namespace, workers: int, hosts: int, cluster: PostgresCluster | None
) -> dict[str, Any]:
    """One run: a fresh stack (and, on PostgreSQL, a fresh database in the bench's cluster)."""
    database = cluster.new_database() if cluster is not None else ""
    with (
        tempfile.TemporaryDirectory(prefix="casino-bench-") as scratch,
        Stack(args, Path(scratch), workers, hosts, database) as stack,
    ):
        dialect = _dialect(stack)
        console.print(
            f"[bold]server[/] {', '.join(stack.urls)} ({workers} worker{'s' if workers > 1 else ''}"
            f" per host, {hosts} host{'s' if hosts > 1 else ''}, {dialect})"
        )
        tokens = await loadgen.prepare_players(
            stack.url, args.clients, deposit=100_000_000, staff_token=BENCH_STAFF_TOKEN
        )
        if args.bonus:
            await _give_bonuses(stack.url, tokens)
        started_ms = time.time_ns() // 1_000_000 + int(args.warmup * 1000)
        cpu_before = stack.cpu_seconds()
        risk_before = await _scrape(stack)
        load_began = time.monotonic()
        with _Progress() as progress:
            result = await loadgen.run_load(
                stack.ws_urls, tokens, args.seconds, args.warmup, mix=args.mix,
                progress=progress.update,
            )  # fmt: skip
        cpu = (stack.cpu_seconds() - cpu_before) if stack.processes else 0.0
        await _wait_flushed(stack.redis_url)
        risk = await _risk(stack, risk_before, load_began)
        lag_p50, lag_p99, flushed = (0.0, 0.0, 0)
        if stack.database is not None:
            lag_p50, lag_p99, flushed = _flusher_lag_ms(stack.database, started_ms)
        figures: dict[str, Any] = {
            "database": dialect,
            "hosts": hosts,
            "workers": workers,
            "clients": args.clients,
            "seconds": args.seconds,
            "mix": args.mix,
            "bonus": args.bonus,
            "appendfsync": args.appendfsync if stack.redis is not None else "external",
            "bets_per_s": round(result.bets_per_second, 1),
            "requests_per_s": round(result.per_second, 1),
            "p50_ms": round(result.percentile_ms(50), 3),
            "p90_ms": round(result.percentile_ms(90), 3),
            "p99_ms": round(result.percentile_ms(99), 3),
            "p999_ms": round(result.percentile_ms(99.9), 3),
            "errors": result.errors,
            "error_codes": result.error_codes,
            "server_cpu_s": round(cpu, 2),
            "bets_per_cpu_s": round(result.requests / cpu, 1) if cpu else None,
            "flusher_lag_p50_ms": lag_p50,
            "flusher_lag_p99_ms": lag_p99,
            "rounds_flushed": flushed,
            **risk,
            "histogram": loadgen.histogram(result.latencies_ns),
        }
        if workers == 1 and hosts == 1 and args.idle and stack.processes:
            figures.update(await _idle_memory(stack, tokens, args.idle))
        if workers == 1 and hosts == 1 and not args.no_ceilings:
            seconds = args.ceiling_seconds or max(2.0, args.seconds / 2)
            figures["ceiling_ws_echo_per_s"] = round(await _echo_ceiling(args.clients, seconds), 1)
            figures["ceiling_redis_evalsha_per_s"] = round(
                await _redis_ceiling(stack.redis_url, args.clients, seconds), 1
            )
            for name, key in RATIOS.items():
                ceiling = figures[key]
                figures[name] = round(figures["bets_per_s"] / ceiling, 4) if ceiling else None
        return figures


async def _risk(
    stack: Stack, before: risk_figures.Samples | None, load_began: float
) -> dict[str, Any]:
    """The fraud monitor's figures over the run, once it has judged every event of it:
    rules per second (over the load and the catch-up after it), the event-to-alert lag at
    p99 (a bucket's bound), and how long it still needed after the load stopped."""
    catch_up_s = await risk_figures.wait_caught_up(stack.redis_url)
    after = await _scrape(stack)
    if before is None or after is None:
        return {"risk_rules_per_s": None, "risk_alert_lag_p99_ms": None, "risk_catch_up_s": None}
    seconds = time.monotonic() - load_began
    return {
        "risk_rules_per_s": round(risk_figures.rules_per_s(before, after, seconds), 1),
        "risk_alert_lag_p99_ms": risk_figures.lag_quantile_ms(before, after, 0.99),
        "risk_catch_up_s": catch_up_s,
    }


async def _scrape(stack: Stack) -> risk_figures.Samples | None:
    """Every host's /metrics summed (each host's fraud monitor judges its share of the
    events; counters and histogram buckets add up); None when one will not answer."""
    total: risk_figures.Samples = {}
    for url in stack.urls:
        samples = await risk_figures.scrape(url)
        if samples is None:
            return None
        for key, value in samples.items():
            total[key] = total.get(key, 0.0) + value
    return total


def _dialect(stack: Stack) -> str:
    if stack.database is None:
        return "external"
    return "postgres" if is_postgres(stack.database) else "sqlite"


async def _give_bonuses(base_url: str, tokens: list[str]) -> None:
    """Every player opts into a wagering bonus that stays active for the whole run (its
    requirement is out of reach), so each bet runs the bonus rules inside the scripts."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        defined = await http.post(
            "/api/staff/bonus/definitions",
            headers={"Authorization": f"Bearer {BENCH_STAFF_TOKEN}"},
            json={"name": "bench bonus", "kind": "no_deposit", "trigger": "manual",
                  "amount": 100_000, "wagering": 200, "max_stake": 1_000_000,
                  "weights": {"slot": 100, "table": 10}},
        )  # fmt: skip
        defined.raise_for_status()
        for token in tokens:
            claimed = await http.post(
                "/api/bonus/claim",
                headers={"Authorization": f"Bearer {token}"},
                json={"definition_id": defined.json()["id"]},
            )
            claimed.raise_for_status()


def _print(figures: dict[str, Any]) -> None:
    title = (
        f"{figures['database']}, {figures['hosts']} host(s), {figures['workers']} worker(s),"
        f" {figures['clients']} clients, {figures['seconds']} s"
    )
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in figures.items():
        if key not in ("histogram", "error_codes"):
            table.add_row(key, str(value))
    console.print(table)
    if figures["error_codes"]:
        console.print(f"errors by code: {figures['error_codes']}")
    total = sum(count for _, count in figures["histogram"]) or 1
    for label, count in figures["histogram"]:
        console.print(f"{label:>12} {'#' * round(60 * count / total):<60} {count}")


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run.py bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--json", type=Path, default=Path("data/bench.json"), help="result file")
    parser.add_argument(
        "--mix", action="store_true", help="roulette and baccarat between the spins"
    )
    parser.add_argument("--workers", type=int, default=1, help="also measure N workers (scaling)")
    parser.add_argument(
        "--hosts",
        type=int,
        default=1,
        metavar="N",
        help="also measure N serve processes on N ports sharing Redis and the database",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the database of the servers bench starts (postgres: a private cluster)",
    )
    parser.add_argument(
        "--bonus", action="store_true", help="every player holds an active wagering bonus"
    )
    parser.add_argument(
        "--idle", type=int, default=0, metavar="N", help="open N idle sessions, report memory"
    )
    parser.add_argument("--no-ceilings", action="store_true")
    parser.add_argument(
        "--appendfsync",
        choices=("always", "everysec"),
        default="always",
        help="the AOF fsync policy of the redis-server bench starts (to price durability)",
    )
    parser.add_argument(
        "--ceiling-seconds", type=float, default=0, help="length of each ceiling run"
    )
    parser.add_argument("--url", help="bench a running server instead of starting one")
    parser.add_argument("--redis-url", help="that server's Redis (for the ceiling and lag)")
    args = parser.parse_args(argv)
    if args.url and (args.hosts > 1 or args.database != "sqlite"):
        parser.error("--hosts and --database choose the servers bench starts, not with --url")
    _raise_fd_limit()
    # A SIGTERM (a `timeout`, a CI limit) unwinds like Ctrl-C, so the servers, redis-server
    # and PostgreSQL this run started are stopped by their context managers instead of left
    # running.
    signal.signal(signal.SIGTERM, _interrupted)
    with contextlib.ExitStack() as resources:
        cluster = None
        if args.database == "postgres":
            # Durable (PostgreSQL's own fsync and synchronous commit), as SQLite syncs every
            # commit here: the two are compared on the same footing.
            cluster = private_postgres.started(durable=True)
            resources.callback(cluster.stop)
        output = _runs(args, cluster)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(output, indent=2))
    console.print(f"results written to {args.json}")
    return 0


def _runs(args: argparse.Namespace, cluster: PostgresCluster | None) -> dict[str, Any]:
    """One worker on one host; then N workers, then N hosts of one worker each, when asked
    (each a fresh stack): the first run's figures, every run, and the scaling ratios."""
    results = [asyncio.run(_measure(args, 1, 1, cluster))]
    _print(results[0])
    if args.workers > 1 and not args.url:
        results.append(asyncio.run(_measure(args, args.workers, 1, cluster)))
        _print(results[-1])
    if args.hosts > 1:
        results.append(asyncio.run(_measure(args, 1, args.hosts, cluster)))
        _print(results[-1])
    output: dict[str, Any] = {**results[0], "runs": results}
    one = results[0].get("bets_per_cpu_s")
    for run in results[1:]:
        kind, count = ("hosts", run["hosts"]) if run["hosts"] > 1 else ("workers", run["workers"])
        many = run.get("bets_per_cpu_s")
        output[f"scaling_{kind}"] = count
        # The workers' ratio kept its first name: earlier result files and docs use it.
        ratio = (
            "scaling_bets_per_cpu_s_ratio"
            if kind == "workers"
            else f"scaling_{kind}_bets_per_cpu_s_ratio"
        )
        output[ratio] = round(many / one, 4) if one and many else None
        if one and many:
            console.print(f"bets per server CPU-second, {count} {kind} vs 1: {many / one:.1%}")
    for run in results:
        console.print(
            f"{run['database']}, {run['hosts']} host(s) of {run['workers']} worker(s):"
            f" {run['bets_per_s']} bets/s, p99 {run['p99_ms']} ms, flusher lag p99"
            f" {run['flusher_lag_p99_ms']} ms, {run['bets_per_cpu_s']} bets per server CPU-second"
        )
    return output
