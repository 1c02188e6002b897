#!/usr/bin/env python3
"""The one entry point: `python3 run.py COMMAND`.

Run with any Python 3.11+: on first use it creates `.venv`, installs the
dependencies declared in pyproject.toml (again whenever that file changes)
and `redis-server` through apt-get when it is missing (for `test` also chromium,
dieharder and ent), then re-runs itself
inside the venv. Only the standard library is imported before that.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".casino-deps"

# Commands that need a redis-server binary on this machine (unless CASINO_REDIS_URL is set).
NEEDS_REDIS = {"serve", "demo", "test", "bench", "soak"}
PASS_THROUGH = {
    "play": "the terminal client: log in or register and play every game",
    "rtp": "print every game's exact RTP, hit rate, SD, max win (--simulate N to check)",
    "rng-certify": "run the statistical battery on the production generator, write a report",
    "bench": "load-test a server: bets/s, latency percentiles, flusher lag, ceilings",
    "soak": "run the crash, race and fuzz scenarios for --minutes N; exit 1 on any finding",
}


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _requirements() -> list[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return [*project["dependencies"], *(dep for group in extras.values() for dep in group)]


def _say(message: str) -> None:
    print(f"[run.py] {message}", file=sys.stderr, flush=True)


def _apt_install(*packages: str) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _say(f"installing {' '.join(packages)} with apt-get")
    if subprocess.run([*sudo, "apt-get", "install", "-y", "-q", *packages], env=env).returncode:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-q", *packages], env=env, check=True)


def bootstrap(command: str | None) -> None:
    """Make the venv and system packages current, then re-exec inside the venv."""
    if os.environ.get("CASINO_NO_BOOTSTRAP") == "1":
        return
    wants_redis = command in NEEDS_REDIS and not os.environ.get("CASINO_REDIS_URL")
    if wants_redis and shutil.which("redis-server") is None:
        _apt_install("redis-server")
    if command == "test" and shutil.which("chromium") is None:
        _apt_install("chromium")  # the browser client's end-to-end tests drive Debian's chromium
    if command == "test":
        # tests/test_rng_external.py pipes real samples through both (it fails under CI without).
        missing = [tool for tool in ("dieharder", "ent") if shutil.which(tool) is None]
        if missing:
            _apt_install(*missing)
    if _in_venv():
        return
    requirements = _requirements()
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if not _venv_python().exists():
        _say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not STAMP.exists() or STAMP.read_text() != digest:
        _say("installing Python dependencies into .venv")
        pip = [str(_venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, *requirements], check=True)
        STAMP.write_text(digest)
    os.execv(
        str(_venv_python()), [str(_venv_python()), str(Path(__file__).resolve()), *sys.argv[1:]]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description=__doc__.split("\n\n")[0])
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

    test = commands.add_parser("test", help="lint, type-check and run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra pytest arguments")

    commands.add_parser("reconcile", help="prove Redis balances, the ledger and rounds agree")
    commands.add_parser("config", help="print the effective configuration, secrets masked")
    commands.add_parser("doctor", help="check a deployment and say what to fix")
    commands.add_parser("migrate", help="apply pending database migrations")

    verify = commands.add_parser("verify", help="re-verify a settled round's provably fair proof")
    verify.add_argument("round_id")

    # These parse their own arguments (`run.py rtp --help`).
    for name, text in PASS_THROUGH.items():
        sub = commands.add_parser(name, help=text, add_help=False)
        sub.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main() -> int:
    parser = build_parser()
    # Pass-through commands parse their own flags, which argparse would refuse here.
    args, extra = parser.parse_known_args()
    if args.command in PASS_THROUGH:
        args.args = [*extra, *args.args]
    elif args.command == "test":  # `run.py test -x -k money`: pytest's flags, verbatim
        args.pytest_args = sys.argv[sys.argv.index("test") + 1 :]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    bootstrap(args.command)
    if args.command is None:
        parser.print_help()
        return 0
    from server import cli

    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
