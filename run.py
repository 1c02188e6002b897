#!/usr/bin/env python3
"""The one entry point: `python3 run.py COMMAND` (`run.py --help` lists them).

Run with any Python 3.11+: on first use it creates `.venv`, installs exactly the
locked dependencies (`requirements.txt` to serve and play; `requirements-test.txt`,
which adds the test and docs tools, for `test`, `soak`, `mutate`, `docs` and `lock`), and
`redis-server` through apt-get when it is missing (for `test` also chromium,
dieharder, ent and postgresql; for `bench --database postgres` postgresql), then
re-runs itself inside the venv. A lock file that changed since the venv was made
gives a new venv, so what is installed is always the lock and nothing else. Only the
standard library is imported before that.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".casino-locks"
SERVE_LOCK = "requirements.txt"
TEST_LOCK = "requirements-test.txt"

# Commands that need a redis-server binary on this machine (unless CASINO_REDIS_URL is set).
NEEDS_REDIS = {"serve", "demo", "test", "bench", "soak", "mutate", "risk-population"}
# Commands whose tools (pytest, hypothesis, mypy, mkdocs, uv) only the test lock holds.
NEEDS_TEST_LOCK = {"test", "soak", "mutate", "docs", "lock"}


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _say(message: str) -> None:
    print(f"[run.py] {message}", file=sys.stderr, flush=True)


def _apt_install(*packages: str) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _say(f"installing {' '.join(packages)} with apt-get")
    if subprocess.run([*sudo, "apt-get", "install", "-y", "-q", *packages], env=env).returncode:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-q", *packages], env=env, check=True)


def _digest(lock: str) -> str:
    return hashlib.sha256((ROOT / lock).read_bytes()).hexdigest()


def _installed() -> dict[str, str]:
    try:
        installed: dict[str, str] = json.loads(STAMP.read_text())
        return installed
    except (OSError, ValueError):
        return {}


def _install_locked(lock: str) -> None:
    """Make the venv hold exactly `lock` (plus, when already there, the other lock)."""
    installed = _installed()
    if installed.get(lock) == _digest(lock):
        return
    # A venv made before the locks (no stamp) holds whatever a resolver chose then.
    stale = not installed or any(_digest(name) != digest for name, digest in installed.items())
    if stale or not _venv_python().exists():
        # A lock that changed may have dropped a package: pip would leave it behind.
        _say("creating .venv anew: it does not hold exactly the lock files")
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        installed = {}
    _say(f"installing the locked dependencies of {lock} into .venv")
    pip = [str(_venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # --require-hashes: every artifact is checked against the lock; --no-deps: nothing that
    # the lock does not name is resolved on the side.
    subprocess.run([*pip, "--require-hashes", "--no-deps", "-r", str(ROOT / lock)], check=True)
    installed[lock] = _digest(lock)
    STAMP.write_text(json.dumps(installed))


def _postgres_missing() -> bool:
    return shutil.which("initdb") is None and not list(
        Path("/usr/lib/postgresql").glob("*/bin/initdb")
    )


def _bench_on_postgres(command: str | None) -> bool:
    """`bench --database postgres` (or `--database=postgres`), read without argparse."""
    argv = sys.argv[1:]
    return command == "bench" and (
        "--database=postgres" in argv
        or any(a == "--database" and b == "postgres" for a, b in itertools.pairwise(argv))
    )


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
    # Tests that touch SQL run on PostgreSQL too, and `bench --database postgres` measures it,
    # each in a private cluster of its own (server/storage/private_postgres.py): the binaries
    # only, no service of the machine's.
    if (command == "test" or _bench_on_postgres(command)) and _postgres_missing():
        _apt_install("postgresql")
    if _in_venv():
        return
    _install_locked(SERVE_LOCK)
    if command in NEEDS_TEST_LOCK:
        _install_locked(TEST_LOCK)
    os.execv(
        str(_venv_python()), [str(_venv_python()), str(Path(__file__).resolve()), *sys.argv[1:]]
    )


def _command(argv: list[str]) -> str | None:
    """The sub-command's name, read without argparse: its flags are not known here yet."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main() -> int:
    bootstrap(_command(sys.argv[1:]))
    from server import cli

    return cli.main(sys.argv[1:], prog="run.py")


if __name__ == "__main__":
    sys.exit(main())
