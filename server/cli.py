"""The sub-commands behind run.py, executed inside the venv."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent

# uvicorn closes the socket (code 1009) above this; below it, our own limit answers with
# FRAME_TOO_LARGE and the connection stays open.
HARD_FRAME_LIMIT = 1024 * 1024


def _serve(args: argparse.Namespace) -> int:
    import dataclasses

    from server import mode, serving
    from server.config import ConfigError, Mode, Settings
    from server.observability import logging as json_logging
    from server.provider import sandbox
    from server.storage.database import SchemaTooNew, check_schema
    from server.storage.redis_child import RedisChild

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if args.host:  # the address served is the one the exposure rules judge
        settings = dataclasses.replace(settings, host=args.host)
    # Before any child writes there: the data directory is its owner's alone (the database,
    # Redis's AOF, KYC documents and the mail sink hold personal data and secrets).
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Before anything starts: a live server with a sandbox part must not take one request.
    refusals = mode.refusals(settings, sandbox.enabled_in(settings.database))
    for refusal in refusals:
        print(
            f"refusing to start in {settings.mode} mode ({refusal.name}): {refusal.message};"
            f" fix: {refusal.fix}",
            file=sys.stderr,
        )
    if refusals:
        return 2
    # From here every line of output is one JSON object, uvicorn's too (log_config=None below).
    json_logging.install(settings.log_level, settings.log_levels)
    log = logging.getLogger(__name__)
    try:
        check_schema(settings.database)
    except SchemaTooNew as error:
        log.critical("%s", error)
        return 2
    if settings.mode is Mode.SANDBOX:
        log.info(
            "sandbox mode: play money; sandbox deposits up to %d per player in 24 hours",
            settings.sandbox_daily_deposit_limit,
        )
    else:
        log.info("live mode: no sandbox route or component")
    gateway = None
    embedded = not settings.redis_url and not settings.payment_gateway_url
    if settings.mode is Mode.SANDBOX and embedded:
        from server.payments.gateway_child import SandboxGatewayChild

        port = settings.port if args.port is None else args.port
        gateway = SandboxGatewayChild(
            settings.data_dir / "sandbox_gateway", settings.sandbox_daily_deposit_limit,
            f"http://127.0.0.1:{port}/api/payments/webhooks",
        )  # fmt: skip
        os.environ["CASINO_PAYMENT_GATEWAY_URL"] = gateway.start()
        os.environ["CASINO_PAYMENT_GATEWAY_KEY"] = gateway.key  # read by every worker
        os.environ["CASINO_PAYMENT_WEBHOOK_SECRETS"] = gateway.webhook_secret
        log.info("sandbox payment gateway on %s", gateway.url)
    kyc_vendor = None
    if settings.mode is Mode.SANDBOX and embedded and not settings.kyc_vendor_url:
        from server.kyc.vendor_child import SandboxKycChild

        kyc_vendor = SandboxKycChild(settings.data_dir / "sandbox_kyc")
        os.environ["CASINO_KYC_VENDOR_URL"] = kyc_vendor.start()
        os.environ["CASINO_KYC_VENDOR_KEY"] = kyc_vendor.token  # read by every worker
        os.environ["CASINO_KYC_WEBHOOK_SECRET"] = kyc_vendor.secret
        port = settings.port if args.port is None else args.port
        host = args.host or settings.host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
        hook = f"http://{host}:{port}/api/kyc/vendor/webhook"
        os.environ.setdefault("CASINO_KYC_WEBHOOK_URL", hook)
        log.info("sandbox KYC vendor on %s", kyc_vendor.url)
    sink = None
    if settings.mode is Mode.SANDBOX and not settings.smtp_url:
        from server.mail.sink_child import MailSinkChild

        sink = MailSinkChild(settings.data_dir)  # a sandbox mails no one: `run.py mail` reads it
        os.environ["CASINO_SMTP_URL"] = sink.start()
        log.info("sandbox mail sink on %s, messages in %s", sink.url, sink.directory)
    register = None
    if settings.mode is Mode.SANDBOX and embedded and not settings.exclusion_register_url:
        from server.rg.register_child import SandboxRegisterChild

        register = SandboxRegisterChild(settings.data_dir / "sandbox_register")
        os.environ["CASINO_EXCLUSION_REGISTER_URL"] = register.start()
        os.environ["CASINO_EXCLUSION_REGISTER_KEY"] = register.key  # read by every worker
        log.info("sandbox self-exclusion register on %s", register.url)
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
        # httptools with head size, head timeout and connection limits (server/http_protocol.py).
        # Not uvicorn's limit_concurrency: it counts every idle play socket too.
        "http": "server.http_protocol:EdgeHttpProtocol",
        "timeout_keep_alive": settings.http_keep_alive_s,
        # X-Forwarded-For/-Proto are believed from CASINO_TRUSTED_PROXIES only (uvicorn's
        # default believes them from loopback, so any local proxy let clients pick an address).
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
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
        if kyc_vendor is not None:
            kyc_vendor.stop()
        if sink is not None:
            sink.stop()
        if register is not None:
            register.stop()
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
        # `-m server.cli` runs from a checkout and from an installed package alike.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        server = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
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
        result = asyncio.run(run_demo(url, spins=args.spins, game=args.game, stake=args.stake))
    finally:
        if server is not None:
            server.terminate()
            server.wait(15)
        if scratch is not None:
            scratch.cleanup()
    if result.refused is not None:
        print(f"the demo stopped: the server refused a spin ({result.refused})", file=sys.stderr)
        return 1
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from redis.exceptions import RedisError

    from server.config import Settings
    from server.money.hot import HotWallet
    from server.money.reconcile import reconcile
    from server.storage import redis_child, redis_client
    from server.storage.database import opened
    from server.wiring import histories

    settings = Settings.from_env()
    # The embedded default: the Redis `run.py serve` runs for this data directory.
    url = settings.redis_url or redis_child.embedded_url(settings.data_dir)
    if url is None:
        print(
            f"no Redis to reconcile: {settings.data_dir} has no embedded Redis (start"
            " `run.py serve`), and CASINO_REDIS_URL is not set",
            file=sys.stderr,
        )
        return 2

    async def check() -> int:
        client = redis_client.connect(url)
        try:
            try:
                await client.ping()
            except RedisError as error:
                print(
                    f"no answer from Redis ({type(error).__name__}): reconcile runs while"
                    " `run.py serve` (or your Redis) is up",
                    file=sys.stderr,
                )
                return 2
            async with opened(settings.database) as db:
                report = await reconcile(db, HotWallet(client, 1), histories())
        finally:
            await client.aclose()
        print("\n".join(report.lines()))
        return 0 if report.ok else 1

    return asyncio.run(check())


def _verify(args: argparse.Namespace) -> int:
    from server.config import Settings
    from server.rounds.verify import verify_stored_round
    from server.storage.database import opened

    async def check() -> int:
        async with opened(Settings.from_env().database) as db:
            result = await verify_stored_round(db, args.round_id)
        print(f"round {result.round_id}: {result.verdict.upper()} ({result.detail})")
        return result.exit_code

    return asyncio.run(check())


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
        target = Settings.from_env().database
        before, after = asyncio.run(database.migrate(target))
    except (ConfigError, database.SchemaTooNew) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    applied = [name for version, name, _ in database.migrations() if before < version <= after]
    for name in applied:
        print(f"applied {name}")
    print(
        f"{database.describe(target)}: schema version {after}"
        f"{'' if applied else ' (already current)'}"
    )
    return 0


def _rtp(args: argparse.Namespace) -> int:
    from games import rtp

    return rtp.main(args.args)


def _bench(args: argparse.Namespace) -> int:
    from server.tools import bench

    return bench.main(args.args)


def _risk_population(args: argparse.Namespace) -> int:
    from server.tools import risk_population

    return risk_population.main(args.args)


def _soak(args: argparse.Namespace) -> int:
    from server.tools.soak import main

    return main.main(args.args)


def _mutate(args: argparse.Namespace) -> int:
    from server.tools import mutate

    return mutate.main(args.args)


def _audit_verify(args: argparse.Namespace) -> int:
    from server.staff import admin

    return admin.audit_verify()


def _staff(args: argparse.Namespace) -> int:
    from server.staff import admin

    return admin.main(args.args)


def _play(args: argparse.Namespace) -> int:
    from clients import terminal

    return terminal.main(args.args)


def _rng_certify(args: argparse.Namespace) -> int:
    from rng import certify

    return certify.main(args.args)


def _checkout() -> Path | None:
    """The source checkout this code runs from; None in an installed package (no run.py)."""
    return ROOT if (ROOT / "run.py").exists() and (ROOT / "pyproject.toml").exists() else None


# The suite runs on two pytest-xdist workers, a file to a worker: most of a test's time is
# spent waiting on the servers, browsers and redis-servers it starts, so two at once nearly
# halve the wall time on two cores. `run.py test -n 0` runs it in one process.
TEST_WORKERS = ["-n", "2", "--dist", "loadfile", "--durations", "25"]


def _workers(pytest_args: list[str]) -> list[str]:
    chosen = any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in pytest_args)
    return [] if chosen else TEST_WORKERS


def _test_database(pytest_args: list[str]) -> tuple[list[str], dict[str, str]]:
    """`--database sqlite|postgres` (first, before pytest's own flags) taken out of the pytest
    arguments as CASINO_TEST_DATABASE: which database every test's server runs on."""
    env = dict(os.environ)
    if pytest_args[:1] == ["--database"] and len(pytest_args) > 1:
        env["CASINO_TEST_DATABASE"] = pytest_args[1]
        return pytest_args[2:], env
    if pytest_args[:1] and pytest_args[0].startswith("--database="):
        env["CASINO_TEST_DATABASE"] = pytest_args[0].split("=", 1)[1]
        return pytest_args[1:], env
    return pytest_args, env


def _test(args: argparse.Namespace) -> int:
    root = _checkout()
    if root is None:
        print("`test` runs from a source checkout: python3 run.py test", file=sys.stderr)
        return 2
    pytest_args, env = _test_database(args.pytest_args)
    steps = [
        [sys.executable, "-m", "ruff", "check", "."],
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        [sys.executable, "-m", "mypy", "."],
        [sys.executable, "-m", "server.docs_site", "build"],
        [sys.executable, "-m", "pytest", *_workers(pytest_args), *pytest_args],
    ]
    for step in steps:
        print("$", " ".join(step[2:]), flush=True)
        code = subprocess.run(step, cwd=root, env=env).returncode
        if code:
            return code
    return 0


# uv resolves once for every platform and Python >= 3.11 (`--universal`) and writes hashes
# that plain pip checks, so installing needs nothing but pip; only a refresh needs uv.
UV = "uv==0.13.9"
PYTHON = "3.11"


def _lock(args: argparse.Namespace) -> int:
    root = _checkout()
    if root is None:
        print("`lock` runs from a source checkout: python3 run.py lock", file=sys.stderr)
        return 2
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", UV]
    subprocess.run(pip, check=True)
    compile_ = [sys.executable, "-m", "uv", "pip", "compile", "pyproject.toml", "--universal"]
    compile_ += ["--generate-hashes", "--python-version", PYTHON, "-q"]
    if args.upgrade:
        compile_.append("--upgrade")
    # The test lock is resolved first and constrains the serving lock, so the two name the
    # same version of every package they share.
    steps = [
        [*compile_, "--extra", "test", "--extra", "docs", "-o", "requirements-test.txt"],
        [*compile_, "-c", "requirements-test.txt", "-o", "requirements.txt"],
    ]
    for step in steps:
        if subprocess.run(step, cwd=root).returncode:
            return 1
    print("requirements.txt and requirements-test.txt written; now run: python3 run.py test")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from server import docs_site

    return docs_site.main(args.args)


def _events_export(args: argparse.Namespace) -> int:
    from server.config import ConfigError, Settings
    from server.events import export
    from server.storage import redis_client

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    if not settings.redis_url:
        print("set CASINO_REDIS_URL to the server's Redis", file=sys.stderr)
        return 2

    async def run(out: IO[bytes]) -> int:
        client = redis_client.connect(settings.redis_url)
        try:
            return await export.write(client, out)
        finally:
            await client.aclose()

    try:
        with open(args.out, "wb") as out:
            count = asyncio.run(run(out))
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{count} events written to {args.out}")
    return 0


def _risk_replay(args: argparse.Namespace) -> int:
    from server.risk import geoip, replay
    from server.risk import policy as risk_policy

    try:
        policy = risk_policy.load(args.policy or "")
        places = geoip.load(args.geoip or "")
        with open(args.log, encoding="utf-8") as log:
            report = asyncio.run(replay.replay(replay.read_log(log), policy, places))
    except (OSError, ValueError) as error:  # PolicyError, LogError, a bad GeoIP file
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(report.lines(name for name in policy.rules if policy.rule(name))))
    return 0


def _mail(args: argparse.Namespace) -> int:
    from server.config import ConfigError, Settings
    from server.mail.sink import Store
    from server.mail.sink_child import directory

    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    found = Store(directory(settings.data_dir)).messages(args.to or "", args.limit)
    if not found:
        print(f"no mail in the sandbox sink ({directory(settings.data_dir)})")
    for message in reversed(found):  # oldest first, so the newest ends next to the prompt
        print(f"--- {message.id}  to {message.to}\nSubject: {message.subject}\n")
        print(message.text if args.full else "\n".join(message.links) or message.text[:200])
        print()
    return 0


# The operator's command lines of each domain, reachable as `run.py NAME ...` (inside the venv
# `run.py` builds), so every `fix:` that `doctor` prints can be pasted as it is.
ADMIN = {
    "accounts": ("server.accounts.admin", "accounts: name clashes, rename a player"),
    "kyc": ("server.kyc.admin", "KYC: review a player, a player's status and documents"),
    "aml": ("server.aml.admin", "AML: cases and their decisions, audit-trail check"),
    "payments": ("server.payments.admin", "payments: disputes, evidence, refunds"),
    "provider": ("server.provider.admin", "game providers: list, add, enable, disable, games"),
}


def _admin(args: argparse.Namespace) -> int:
    module = importlib.import_module(ADMIN[args.command][0])
    result: int = module.main(args.args)
    return result


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
    "mutate": _mutate,
    "test": _test,
    "lock": _lock,
    "docs": _docs,
    "mail": _mail,
    **dict.fromkeys(ADMIN, _admin),
    "events-export": _events_export,
    "risk-replay": _risk_replay,
    "risk-population": _risk_population,
    "staff": _staff,
    "audit-verify": _audit_verify,
}

# Commands that parse their own arguments (`run.py rtp --help`).
PASS_THROUGH = {
    "play": "the terminal client: log in or register and play every game",
    "rtp": "print every game's exact RTP, hit rate, SD, max win (--simulate N to check)",
    "rng-certify": "run the statistical battery on the production generator, write a report",
    "bench": "load-test a server: bets/s, latency percentiles, flusher lag, ceilings",
    "risk-population": "fraud rules on ordinary players and scripted abusers: false vs true +",
    "soak": "run the crash, race and fuzz scenarios for --minutes N; exit 1 on any finding",
    "mutate": "run each listed money mutation against its tests; exit 1 if any survives",
    "docs": "serve the documentation site on http://127.0.0.1:8001 (or: docs build)",
    **{name: text for name, (_, text) in ADMIN.items()},
    "staff": "staff accounts: add NAME --role ROLE (prints the TOTP secret once), list, disable",
}


def build_parser(prog: str = "casino") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="An online-casino gaming server and its tools."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the server (HTTP + WebSocket on one port)")
    # Defaults come from CASINO_HOST/CASINO_PORT, validated with the rest of the configuration.
    serve.add_argument("--host", default=None, help="default: CASINO_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: CASINO_PORT or 8000")
    serve.add_argument("--workers", type=int, default=1, help="processes sharing the port")

    demo = commands.add_parser("demo", help="register, deposit and play 20 spins against a server")
    demo.add_argument("--url", default="http://127.0.0.1:8000", help="server base URL")
    demo.add_argument("--spins", type=int, default=20)
    demo.add_argument("--game", default="classic-sevens")
    demo.add_argument("--stake", type=int, default=100, help="stake per spin, minor units")

    test = commands.add_parser("test", help="lint, type-check, build the docs, run every test")
    test.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        help="extra pytest arguments; first `--database postgres` to run them on PostgreSQL",
    )
    lock = commands.add_parser("lock", help="re-resolve the lock files (then run the tests)")
    lock.add_argument("--upgrade", action="store_true", help="take the newest allowed releases")

    commands.add_parser("reconcile", help="prove Redis balances, the ledger and rounds agree")
    commands.add_parser("config", help="print the effective configuration, secrets masked")
    commands.add_parser("doctor", help="check a deployment and say what to fix")
    commands.add_parser("migrate", help="apply pending database migrations")

    mail = commands.add_parser("mail", help="list the emails the sandbox mail sink received")
    mail.add_argument("--to", default="", help="only messages to this address")
    mail.add_argument("--limit", type=int, default=10, help="the newest N (default 10)")
    mail.add_argument("--full", action="store_true", help="whole texts, not only their links")

    export = commands.add_parser(
        "events-export", help="write the event streams to a file, one JSON event a line"
    )
    export.add_argument("--out", required=True, help="the file to write")
    replay = commands.add_parser(
        "risk-replay", help="run the fraud rules over an event log; print what they flag"
    )
    replay.add_argument("log", help="JSON lines, one event each (run.py events-export)")
    replay.add_argument("--policy", default="", help="a risk policy file (default: defaults)")
    replay.add_argument("--geoip", default="", help="a GeoIP database (MaxMind format)")

    commands.add_parser(
        "audit-verify", help="check the audit trail's hash chain; exit 1 naming the first bad entry"
    )
    verify = commands.add_parser(
        "verify",
        help="re-verify a settled round's provably fair proof"
        " (exit 0 MATCH, 1 SEED-/OUTCOME-MISMATCH, 3 NOT-REVEALED, 4 NOT-FOUND)",
    )
    verify.add_argument("round_id")

    for name, text in PASS_THROUGH.items():
        sub = commands.add_parser(name, help=text, add_help=False)
        sub.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None, prog: str = "casino") -> int:
    """`casino COMMAND` in an installed package; `run.py` calls it after its set-up."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(prog)
    # Pass-through commands parse their own flags, which argparse would refuse here.
    args, extra = parser.parse_known_args(argv)
    if args.command in PASS_THROUGH:
        args.args = [*extra, *args.args]
    elif args.command == "test":  # `run.py test -x -k money`: pytest's flags, verbatim
        args.pytest_args = argv[argv.index("test") + 1 :]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return 0
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
