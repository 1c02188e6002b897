"""The project as an installable package: the wheel holds every package and data file, and
`casino serve` from a fresh venv outside the checkout plays a round and reconciles.

The fresh venv installs the serving lock with hashes (pip's cache makes it quick after the
bootstrap) and the wheel with --no-deps, so nothing from the checkout or its .venv leaks in.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clients.demo import run_demo
from server.storage.redis_child import RedisChild, free_port

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "protocol", "games", "rng", "clients")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources so the checkout gets no build/ or egg-info."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
    )
    (built,) = out.glob("casino_server-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run(
        [*pip, "--require-hashes", "--no-deps", "-r", str(ROOT / "requirements.txt")], check=True
    )
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True)
    return venv


def outside_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASINO_", "PYTHON"))}
    return {**env, **extra}


def test_the_wheel_holds_every_package_and_its_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names
    for tracked in ("server/money/lua", "server/storage/migrations", "clients/web"):
        expected = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / tracked).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }
        assert expected - names == set()
    assert not any(name.startswith("tests/") for name in names)


def test_the_installed_package_is_imported_from_the_venv_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import server; print(server.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=outside_env(),
    )
    assert Path(result.stdout.strip()).is_relative_to(installed)


def test_casino_help_lists_the_commands(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(installed / "bin" / "casino"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=outside_env(),
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: casino ")
    for command in ("serve", "play", "doctor", "migrate", "reconcile", "verify", "rtp"):
        assert f"    {command} " in result.stdout


@pytest.fixture
def installed_server(installed: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    redis = RedisChild(tmp_path / "redis")
    env = outside_env(CASINO_DATA_DIR=str(tmp_path / "data"), CASINO_REDIS_URL=redis.start())
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(installed / "bin" / "casino"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
        yield url, env
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        log.close()
        redis.stop()


def test_casino_serve_from_the_wheel_plays_rounds_that_reconcile(
    installed: Path, installed_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = installed_server
    result = asyncio.run(run_demo(url, spins=3, say=lambda line: None))
    assert len(result.spins) == 3
    with urllib.request.urlopen(f"{url}/", timeout=5) as page:  # the web client's files
        assert b"<html" in page.read().lower()
    deadline = time.monotonic() + 20
    while True:  # the flusher writes the rounds a moment after they are played
        reconcile = subprocess.run(
            [str(installed / "bin" / "casino"), "reconcile"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        if reconcile.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
