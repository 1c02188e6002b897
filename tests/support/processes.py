"""Child processes seen through /proc, for the tests of the server's own children (the
flusher's and the risk monitor's): which are alive, whose child each is, what they run."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    found = stat(pid)
    return found is not None and found[0] != "Z"  # a zombie has exited; only its entry is left


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def running(module: str, parents: set[int] | None = None) -> dict[int, int]:
    """{pid: parent pid} of every live process running `module` (whose parent is in
    `parents`, when given)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        state = stat(pid)
        if state is None or state[0] == "Z" or module not in cmdline(pid):
            continue
        if parents is None or state[1] in parents:
            found[pid] = state[1]
    return found


def descendants(pid: int) -> set[int]:
    family = {pid}
    grew = True
    while grew:
        grew = False
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) not in family:
                state = stat(int(entry.name))
                if state is not None and state[1] in family:
                    family.add(int(entry.name))
                    grew = True
    return family


def until(find: Callable[[], T], done: Callable[[T], bool], what: str, timeout_s: float) -> T:
    """What `find` returns once `done` says so; fails naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not done(found := find()):
        assert time.monotonic() < deadline, f"{what} within {timeout_s}s; last saw {found!r}"
        time.sleep(0.05)
    return found


def stop_all(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    """Terminate every process still running, then wait for each (killed after 10 s)."""
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_cli(port: int, *args: str, timeout_s: float = 30.0) -> str:
    """What `redis-cli -p PORT ARGS...` prints, errors included."""
    done = subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout_s
    )
    return done.stdout + done.stderr


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float) -> None:
    """Poll `condition` until it holds; fails naming `what` after `timeout_s`."""
    until(condition, bool, what, timeout_s)


def distinct_ports(count: int, pick: Callable[[], int]) -> list[int]:
    """`count` ports from `pick`, no two alike and none another's cluster bus port (10,000
    above it): a port is free only until something binds it, so two picks in a row may hand
    out the same one."""
    ports: list[int] = []
    while len(ports) < count:
        port = pick()
        if not {port, port + 10_000, port - 10_000} & set(ports):
            ports.append(port)
    return ports
