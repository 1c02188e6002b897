"""`run.py doctor`: checks a deployment and says what to fix, without changing anything.

Each check yields findings: `ok`, `warn` (worth knowing), `FAIL` (fix it
before players arrive) or `skip` (could not be checked from here, and why).
The checks: configuration valid; the mode (server/mode.py): in live mode every
reason `run.py serve` would refuse to start (a sandbox gateway key, no real
gateway, a weak secret, /metrics open, the sandbox provider enabled), in
sandbox mode a warning when play money can be minted from the network; Redis
reachable, persistent (AOF on, fsync not `no`) and never evicting keys
(balances live there); clocks of this machine and Redis agree; the database
schema is exactly the code's; no credential left open (Redis without a
password off this machine, /metrics open to the network); disk space in the
data directory; nothing stuck in Redis (unflushed rounds, reservations past
due). The pure judgements are separate functions so each is tested without a
deployment.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from server import mode
from server.config import ConfigError, Mode, Settings
from server.observability import backlog
from server.provider import sandbox
from server.storage import database, redis_child, redis_client
from server.wiring import backlog_keys

GIB = 1024**3
TIMEOUT_S = 2.0


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    check: str
    detail: str
    fix: str = ""


def _ok(check: str, detail: str) -> Finding:
    return Finding(Level.OK, check, detail)


def _skip(check: str, detail: str) -> Finding:
    return Finding(Level.SKIP, check, detail)


def _warn(check: str, detail: str, fix: str) -> Finding:
    return Finding(Level.WARN, check, detail, fix)


def _fail(check: str, detail: str, fix: str) -> Finding:
    return Finding(Level.FAIL, check, detail, fix)


# -- pure judgements ---------------------------------------------------------------------------
SENTINEL_FORM = "redis+sentinel://:PASSWORD@HOST:PORT,HOST:PORT,HOST:PORT/SERVICE?replicas=1"
CLUSTER_FORM = "redis+cluster://:PASSWORD@HOST:PORT,HOST:PORT,HOST:PORT?replicas=1"


def _replication_finding(replicas: int) -> Finding:
    if replicas:
        return _ok("redis replication", f"a write counts once {replicas} replica(s) hold it")
    return _warn(
        "redis replication",
        "a round the master answered but had not yet sent to a replica is lost at a failover",
        "add ?replicas=1 to CASINO_REDIS_URL (and run two replicas of each master, so one is"
        " left to wait for after a failover)",
    )


def redis_url_findings(url: str) -> list[Finding]:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return [_ok("redis access", "unix socket: protected by file permissions")]
    host = parts.hostname or ""
    loopback = mode.is_loopback(host)
    found = []
    if parts.scheme == redis_client.SENTINEL_SCHEME:
        try:
            sentinels, _, _, _, replicas = redis_client.sentinel_parts(url)
        except ValueError as error:
            return [_fail("redis access", f"CASINO_REDIS_URL: {error}", SENTINEL_FORM)]
        host = ",".join(name for name, _ in sentinels)
        loopback = all(mode.is_loopback(name) for name, _ in sentinels)
        found.append(_replication_finding(replicas))
    elif parts.scheme == redis_client.CLUSTER_SCHEME:
        try:
            seeds, _, replicas = redis_client.cluster_parts(url)
        except ValueError as error:
            return [_fail("redis access", f"CASINO_REDIS_URL: {error}", CLUSTER_FORM)]
        host = ",".join(name for name, _ in seeds)
        loopback = all(mode.is_loopback(name) for name, _ in seeds)
        found.append(_replication_finding(replicas))
    if not parts.password:
        if loopback:
            found.append(
                _warn(
                    "redis access",
                    f"Redis at {host} has no password: any local process can change balances",
                    "set requirepass in redis.conf and put it in CASINO_REDIS_URL"
                    " (redis://:PASSWORD@host:port/0)",
                )
            )
        else:
            found.append(
                _fail(
                    "redis access",
                    f"CASINO_REDIS_URL reaches {host} over the network without a password",
                    "set requirepass (or an ACL user) on that Redis and put the credentials in"
                    " CASINO_REDIS_URL: redis://:PASSWORD@host:port/0",
                )
            )
    else:
        found.append(_ok("redis access", f"password set for {host}"))
    plain = ("redis", redis_client.SENTINEL_SCHEME, redis_client.CLUSTER_SCHEME)
    if parts.scheme in plain and not loopback:
        found.append(
            _warn(
                "redis transport",
                f"traffic to {host}, the password included, is not encrypted",
                "use rediss:// (TLS) or a private network link",
            )
        )
    return found


def persistence_findings(config: Mapping[str, str], source: str) -> list[Finding]:
    """Judge Redis settings (from CONFIG GET or a redis.conf) that decide whether money
    acknowledged to a player survives a Redis restart."""
    found = []
    appendonly = config.get("appendonly", "no").lower()
    if appendonly != "yes":
        found.append(
            _fail(
                "redis persistence",
                f"appendonly is {appendonly} ({source}): hot balances, reservations and"
                " unflushed rounds are lost when Redis restarts",
                "set `appendonly yes` in redis.conf and run CONFIG SET appendonly yes",
            )
        )
    else:
        fsync = config.get("appendfsync", "everysec").lower()
        if fsync == "no":
            found.append(
                _fail(
                    "redis persistence",
                    f"appendfsync is no ({source}): the OS decides when writes reach the disk,"
                    " so a power loss can lose many seconds of settled rounds",
                    "set `appendfsync everysec` (or always) in redis.conf and CONFIG SET it",
                )
            )
        else:
            found.append(
                _ok("redis persistence", f"appendonly yes, appendfsync {fsync} ({source})")
            )
    policy = config.get("maxmemory-policy")
    if policy is not None and policy != "noeviction":
        found.append(
            _fail(
                "redis eviction",
                f"maxmemory-policy is {policy}: under memory pressure Redis would delete"
                " wallets and reservations",
                "set `maxmemory-policy noeviction` (a full Redis then refuses bets instead)",
            )
        )
    return found


def clock_finding(skew_s: float) -> Finding:
    size = abs(skew_s)
    detail = f"this machine and Redis differ by {size:.3f}s"
    fix = "synchronise both clocks with NTP (timedatectl set-ntp true, or chrony)"
    if size > 2.0:
        return _fail(
            "clock",
            detail + ": reservation expiry, flusher lag and provider signature windows go wrong",
            fix,
        )
    if size > 0.25:
        return _warn("clock", detail, fix)
    return _ok("clock", detail)


def schema_finding(path: Path | str, current: int, latest: int) -> Finding:
    if current > latest:
        return _fail(
            "database schema",
            f"{path} is at schema {current}, newer than this code ({latest}): serve refuses it",
            "run the newer code, or restore the backup taken before the upgrade",
        )
    if current < latest:
        pending = [name for version, name, _ in database.migrations() if version > current]
        return _fail(
            "database schema",
            f"{path} is at schema {current}; pending: {', '.join(pending)}",
            "run `python3 run.py migrate`",
        )
    return _ok("database schema", f"{path} at schema {current} (current)")


def disk_finding(path: Path, free: int) -> Finding:
    detail = f"{free / GIB:.1f} GiB free for {path}"
    fix = "free space on that filesystem, or move CASINO_DATA_DIR to a larger one"
    if free < GIB // 2:
        return _fail("disk space", detail + ": SQLite and the AOF will fail", fix)
    if free < 2 * GIB:
        return _warn("disk space", detail, fix)
    return _ok("disk space", detail)


def backlog_findings(found: backlog.Backlog, bound_s: int) -> list[Finding]:
    result = []
    if found.oldest_age_s > bound_s:
        result.append(
            _warn(
                "flusher",
                f"{found.stream_length} stream entries wait in Redis, the oldest for"
                f" {found.oldest_age_s:.0f}s",
                "start the server (it flushes them first), or read its log for 'flusher retrying'",
            )
        )
    else:
        result.append(_ok("flusher", f"{found.stream_length} stream entries waiting"))
    if found.dead_letters:
        result.append(
            _fail(
                "dead letters",
                f"{found.dead_letters} stream entries were refused by the database",
                "read the server log for 'quarantined' and fix the cause; a start-up retries them",
            )
        )
    if found.reservations_past_due:
        result.append(
            _warn(
                "reservations",
                f"{found.reservations_past_due} reservations are past due",
                "the sweeper inside `run.py serve` resolves them; start a server",
            )
        )
    return result


def mode_findings(settings: Settings, sandbox_provider_enabled: bool) -> list[Finding]:
    """The mode's rules: each reason a live server would not start is a failure; a sandbox
    server reachable from the network is worth a warning (anyone there mints play money)."""
    refusals = mode.refusals(settings, sandbox_provider_enabled)
    if refusals:
        return [
            _fail("mode", f"{settings.mode} ({refusal.name}): {refusal.message}", refusal.fix)
            for refusal in refusals
        ]
    if settings.mode is Mode.LIVE:
        return [_ok("mode", "live: no sandbox route or component, a live gateway key")]
    limit = settings.sandbox_daily_deposit_limit
    detail = f"sandbox: play money, up to {limit} per player in 24 hours"
    if mode.is_loopback(settings.host):
        return [_ok("mode", f"{detail}, on this machine only")]
    return [
        _warn(
            "mode",
            f"{detail}, for anyone who reaches {settings.host} and registers",
            "set CASINO_MODE=live for real money, or serve on 127.0.0.1 for a demo",
        )
    ]


def exposure_findings(settings: Settings) -> list[Finding]:
    if settings.metrics_token or mode.is_loopback(settings.host):
        return [_ok("metrics access", "/metrics is not open to the network")]
    return [
        _warn(
            "metrics access",
            f"/metrics on {settings.host} is readable by anyone who reaches the port",
            "set CASINO_METRICS_TOKEN (Prometheus sends it as a bearer token)",
        )
    ]


def permission_findings(settings: Settings) -> list[Finding]:
    path = settings.database_path
    if not path.exists():
        return []
    # A file is protected when the file or any directory above it shuts others out.
    for candidate in (path, *path.resolve().parents):
        if candidate.exists() and not candidate.stat().st_mode & 0o005:
            return [_ok("data permissions", f"{path} is not readable by others")]
        if candidate == settings.data_dir.resolve():
            break
    return [
        _warn(
            "data permissions",
            f"{path} is readable by every user of this machine; it holds password hashes"
            " and provider secrets",
            f"chmod 700 {settings.data_dir}",
        )
    ]


# -- live checks -------------------------------------------------------------------------------
async def _live_redis(url: str, bound_s: int) -> list[Finding]:
    if url.startswith((f"{redis_client.SENTINEL_SCHEME}://", f"{redis_client.CLUSTER_SCHEME}://")):
        client = redis_client.connect(url, retries=0)  # the sentinels or seeds name the nodes
    else:
        client = aioredis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S
        )
    try:
        try:
            await client.ping()
        except Exception as error:
            host = urlsplit(url).hostname or url.split("://", 1)[-1]
            return [
                _fail(
                    "redis reachable",
                    f"no answer from {host}: {type(error).__name__}",
                    "start Redis, or correct CASINO_REDIS_URL",
                )
            ]
        found = [_ok("redis reachable", "PING answered")]
        try:
            config: dict[str, str] = {}
            if redis_client.is_cluster(client):
                found += await _cluster_persistence(client)
            else:
                for name in ("appendonly", "appendfsync", "maxmemory-policy"):
                    reply = await client.config_get(name)
                    config.update({str(key): str(value) for key, value in reply.items()})
                found += persistence_findings(config, "CONFIG GET")
        except Exception as error:
            found.append(
                _warn(
                    "redis persistence",
                    f"CONFIG GET refused ({type(error).__name__}): cannot check it from here",
                    "check by hand: appendonly yes, appendfsync everysec or always,"
                    " maxmemory-policy noeviction",
                )
            )
        before = time.time()
        seconds, micros = await client.time()
        after = time.time()
        found.append(clock_finding((before + after) / 2 - (seconds + micros / 1e6)))
        found += backlog_findings(await backlog.measure(client, backlog_keys()), bound_s)
        return found
    finally:
        await client.aclose()


async def _cluster_persistence(client: aioredis.Redis) -> list[Finding]:
    """`persistence_findings` for every primary of a cluster (each holds its own shards)."""
    cluster = cast(RedisCluster, client)
    found = []
    for node in cluster.get_primaries():
        config: dict[str, str] = {}
        for name in ("appendonly", "appendfsync", "maxmemory-policy"):
            reply = await cluster.config_get(name, target_nodes=node)
            config.update({str(key): str(value) for key, value in reply.items()})
        found += persistence_findings(config, f"CONFIG GET on {node.host}:{node.port}")
    return found


async def _redis(settings: Settings) -> list[Finding]:
    if settings.redis_url:
        return redis_url_findings(settings.redis_url) + await _live_redis(
            settings.redis_url, settings.ready_max_flush_lag_s
        )
    found = []
    if shutil.which("redis-server") is None:
        found.append(
            _fail(
                "redis-server",
                "no redis-server binary for the embedded Redis",
                "sudo apt-get install redis-server (run.py serve does it when bootstrapping)",
            )
        )
    conf_path = settings.data_dir / "redis" / "redis.conf"
    if not conf_path.exists():
        found.append(
            _ok(
                "redis persistence",
                "embedded Redis not started yet; run.py serve configures it with AOF"
                " (appendfsync everysec), a random password, 127.0.0.1 only",
            )
        )
        return found
    conf = redis_child.config_values(conf_path)
    url = redis_child.embedded_url(settings.data_dir) or ""
    client = aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=TIMEOUT_S)
    try:
        await client.ping()
        running = True
    except Exception:
        running = False
    finally:
        await client.aclose()
    if running:  # the live settings are the truth; the file is what it started from
        return found + await _live_redis(url, settings.ready_max_flush_lag_s)
    return [
        *found,
        *persistence_findings(conf, str(conf_path)),
        _skip(
            "redis live checks",
            "the embedded Redis is not running; clock and backlog are checked while"
            " run.py serve is up",
        ),
    ]


async def _database(settings: Settings) -> list[Finding]:
    if settings.postgres_url:
        return await asyncio.to_thread(_postgres, settings.postgres_url)
    path = settings.database_path
    if not path.exists():
        return [
            _fail(
                "database schema",
                f"no database at {path}",
                "run `python3 run.py migrate` (run.py serve also creates it)",
            )
        ]
    try:
        current = database.schema_version(path)
    except Exception as error:
        return [
            _fail(
                "database",
                f"{path} cannot be read: {error}",
                "check the file and CASINO_DATABASE_URL",
            )
        ]
    found = [schema_finding(path, current, database.latest_schema())]
    return found + permission_findings(settings)


def _postgres(url: str) -> list[Finding]:
    shown = database.describe(url)
    try:
        current = database.schema_version(url)
    except Exception as error:  # the class only: a message may quote the URL
        return [
            _fail(
                "database",
                f"{shown} cannot be reached: {type(error).__name__}",
                "start PostgreSQL, or correct CASINO_DATABASE_URL",
            )
        ]
    return [schema_finding(shown, current, database.latest_schema())]


def _disk(settings: Settings) -> Finding:
    target = settings.data_dir.resolve()
    while not target.exists():  # not created yet: measure the filesystem it will be on
        target = target.parent
    return disk_finding(settings.data_dir, shutil.disk_usage(target).free)


async def examine(env: Mapping[str, str]) -> list[Finding]:
    try:
        settings = Settings.from_env(env)
    except ConfigError as error:
        return [_fail("configuration", str(error), "correct that variable")]
    findings = [_ok("configuration", "every variable is valid (run.py config)")]
    findings += mode_findings(settings, sandbox.enabled_in(settings.database))
    findings += await _redis(settings)
    findings += await _database(settings)
    if settings.mode is Mode.SANDBOX:  # in live mode an open /metrics is a refusal above
        findings += exposure_findings(settings)
    findings.append(_disk(settings))
    return findings


def render(findings: list[Finding]) -> list[str]:
    out = []
    for finding in findings:
        out.append(f"{finding.level:<5} {finding.check}: {finding.detail}")
        if finding.fix and finding.level in (Level.FAIL, Level.WARN):
            out.append(f"      fix: {finding.fix}")
    failures = sum(f.level is Level.FAIL for f in findings)
    warnings = sum(f.level is Level.WARN for f in findings)
    if failures:
        out.append(f"{failures} to fix, {warnings} warnings")
    else:
        out.append(f"nothing to fix ({warnings} warnings)")
    return out


def main(env: Mapping[str, str] | None = None) -> int:
    findings = asyncio.run(examine(os.environ if env is None else env))
    print("\n".join(render(findings)))
    return 1 if any(f.level is Level.FAIL for f in findings) else 0
