"""The sub-commands behind run.py, executed inside the venv."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# uvicorn closes the socket (code 1009) above this; below it, our own limit answers with
# FRAME_TOO_LARGE and the connection stays open.
HARD_FRAME_LIMIT = 1024 * 1024


def _serve(args: argparse.Namespace) -> int:
    from server import serving
    from server.config import ConfigError, Settings
    from server.observability import logging as json_logging
    from server.storage.database import SchemaTooNew, check_schema
    from server.storage.redis_child import RedisChild

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    # From here every line of output is one JSON object, uvicorn's too (log_config=None below).
    json_logging.install(settings.log_level, settings.log_levels)
    log = logging.getLogger(__name__)
    try:
        check_schema(settings.database_path)
    except SchemaTooNew as error:
        log.critical("%s", error)
        return 2
    gateway = None
    if not settings.redis_url and not settings.payment_gateway_url:
        from server.payments.gateway_child import SandboxGatewayChild

        gateway = SandboxGatewayChild(settings.data_dir / "sandbox_gateway")
        os.environ["CASINO_PAYMENT_GATEWAY_URL"] = gateway.start()
        log.info("sandbox payment gateway on %s", gateway.url)
    child = None
    if not settings.redis_url:
        child = RedisChild(settings.data_dir / "redis", appendfsync=settings.redis_appendfsync)
        os.environ["CASINO_REDIS_URL"] = child.start()
        log.info("private redis-server on 127.0.0.1:%d, AOF in %s", child.port, child.data_dir)
    metrics_dir = None
    if args.workers > 1:  # workers record into shared files; any worker's /metrics sums them
        metrics_dir = tempfile.mkdtemp(prefix="casino-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    config = {
        "app": "server.app:create_app",
        "factory": True,
        "host": args.host or settings.host,
        "port": settings.port if args.port is None else args.port,
        "ws": "server.lean_websocket:LeanWebSocketProtocol",  # websockets-sansio, leaner
        # Frames are a few hundred bytes: compressing them costs CPU per frame and zlib state
        # (about 40 KB) on every socket whose client offers it, as browsers do.
        "ws_per_message_deflate": False,
        "http": "httptools",
        "loop": "uvloop",
        "ws_max_size": HARD_FRAME_LIMIT,
        "ws_ping_interval": float(settings.ping_interval_s),
        "ws_ping_timeout": float(settings.ping_timeout_s),
        "timeout_graceful_shutdown": settings.shutdown_grace_s + 5,
        "lifespan": "on",
        "log_config": None,  # keep our JSON handler; levels come from CASINO_LOG_LEVEL(S)
        "log_level": None,
    }
    try:
        serving.serve(config, args.workers)
    finally:
        if child is not None:
            child.stop()
        if gateway is not None:
            gateway.stop()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2):  # noqa: S310 (our own URL)
            return True
    except OSError:
        return False


def _demo(args: argparse.Namespace) -> int:
    from clients.demo import run_demo
    from server.storage.redis_child import free_port

    url = args.url.rstrip("/")
    server = None
    scratch = None
    if not _reachable(url):
        scratch = tempfile.TemporaryDirectory(prefix="casino-demo-")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        print(f"no server at {args.url}; starting a private one at {url}", flush=True)
        env = {**os.environ, "CASINO_DATA_DIR": scratch.name}
        env.pop("CASINO_REDIS_URL", None)
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not _reachable(url):
            if server.poll() is not None or time.monotonic() > deadline:
                print("the private server did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)
    try:
        asyncio.run(run_demo(url, spins=args.spins, game=args.game, stake=args.stake))
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
        if scratch is not None:
            scratch.cleanup()
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from server.config import Settings
    from server.storage import redis_client
    from server.storage.database import Database
    from server.wallet.hot import HotWallet
    from server.wallet.reconcile import reconcile

    settings = Settings.from_env()
    if not settings.redis_url:
        print("set CASINO_REDIS_URL to the server's Redis", file=sys.stderr)
        return 2

    async def check() -> bool:
        client = redis_client.connect(settings.redis_url)
        db = Database(settings.database_path)
        await db.open()
        try:
            report = await reconcile(db, HotWallet(client, 1))
        finally:
            await client.aclose()
            await db.close()
        print("\n".join(report.lines()))
        return report.ok

    return 0 if asyncio.run(check()) else 1


def _verify(args: argparse.Namespace) -> int:
    from server.config import Settings
    from server.rounds.verify import verify_stored_round
    from server.storage.database import Database

    async def check() -> bool:
        db = Database(Settings.from_env().database_path)
        await db.open()
        try:
            result = await verify_stored_round(db, args.round_id)
        finally:
            await db.close()
        print(f"round {result.round_id}: {result.verdict.upper()} ({result.detail})")
        return result.ok

    return 0 if asyncio.run(check()) else 1


def _config(args: argparse.Namespace) -> int:
    from server.config import ConfigError
    from server.observability import effective_config

    try:
        lines = effective_config.lines(os.environ)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from server import doctor

    return doctor.main()


def _migrate(args: argparse.Namespace) -> int:
    from server.config import ConfigError, Settings
    from server.storage import database

    try:
        path = Settings.from_env().database_path
        before, after = asyncio.run(database.migrate(path))
    except (ConfigError, database.SchemaTooNew) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    applied = [name for version, name, _ in database.migrations() if before < version <= after]
    for name in applied:
        print(f"applied {name}")
    print(f"{path}: schema version {after}{'' if applied else ' (already current)'}")
    return 0


def _rtp(args: argparse.Namespace) -> int:
    from games import rtp

    return rtp.main(args.args)


def _bench(args: argparse.Namespace) -> int:
    from server import bench

    return bench.main(args.args)


def _soak(args: argparse.Namespace) -> int:
    from server.soak import main

    return main.main(args.args)


def _play(args: argparse.Namespace) -> int:
    from clients import terminal

    return terminal.main(args.args)


def _rng_certify(args: argparse.Namespace) -> int:
    from rng import certify

    return certify.main(args.args)


def _test(args: argparse.Namespace) -> int:
    steps = [
        [sys.executable, "-m", "ruff", "check", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        [sys.executable, "-m", "mypy", "."],
        [sys.executable, "-m", "pytest", *args.pytest_args],
    ]
    for step in steps:
        print("$", " ".join(step[2:]), flush=True)
        code = subprocess.run(step, cwd=ROOT).returncode
        if code:
            return code
    return 0


COMMANDS = {
    "serve": _serve,
    "demo": _demo,
    "reconcile": _reconcile,
    "verify": _verify,
    "config": _config,
    "doctor": _doctor,
    "migrate": _migrate,
    "rtp": _rtp,
    "rng-certify": _rng_certify,
    "play": _play,
    "bench": _bench,
    "soak": _soak,
    "test": _test,
}


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)
