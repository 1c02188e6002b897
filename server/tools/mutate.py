"""`run.py mutate`: applies each listed mutation of the money code to a copy and runs its tests.

For every mutation in `server/tools/mutations.py` (or the `--only` ones) the runner copies
the checkout (the files git knows, tracked or not ignored: never `.venv` or data) into a
temporary directory, applies the mutation's exact edits there, and runs pytest with `-x` on
the test files the mutation names, so the first failing test ends the run: the mutation
is caught. A run in which every test passes means the suite let that bug through: SURVIVED.
It prints one line per mutation (id, verdict, the test that caught it, seconds) and exits 1
when any survived. The checkout itself is never touched, so a run can be interrupted at any
point. An `old` text that is not found exactly once stops the run before anything runs:
the list must stay true as the code moves.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from server.tools.mutations import MUTATIONS, Edit, Mutation

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_TIMEOUT_S = 900  # one mutation's whole pytest run; each test also has pytest's own


class MutationListError(ValueError):
    """The list no longer matches the code: an `old` text missing or found more than once."""


@dataclass(frozen=True, slots=True)
class Outcome:
    mutation: Mutation
    verdict: str  # caught, SURVIVED, or ERROR (pytest could not judge: see `detail`)
    detail: str  # the test that caught it, or why there was no verdict
    seconds: float

    @property
    def survived(self) -> bool:
        return self.verdict != "caught"


def apply(root: Path, edit: Edit) -> None:
    """Make one edit under `root`; MutationListError unless `old` occurs exactly once."""
    path = root / edit.file
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MutationListError(f"{edit.file}: no such file") from None
    found = text.count(edit.old)
    if found != 1:
        raise MutationListError(f"{edit.file}: the text to mutate occurs {found} times, not once")
    path.write_text(text.replace(edit.old, edit.new))


def check(mutations: Sequence[Mutation], root: Path = ROOT) -> list[str]:
    """Everything wrong with the list against the tree at `root` (empty when it holds)."""
    problems = []
    ids = [m.id for m in mutations]
    problems += [f"{i}: id used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for m in mutations:
        for edit in m.edits:
            path = root / edit.file
            found = path.read_text().count(edit.old) if path.is_file() else -1
            if found != 1:
                problems.append(f"{m.id}: `old` occurs {found} times in {edit.file}, not once")
            if edit.old == edit.new:
                problems.append(f"{m.id}: `new` equals `old` in {edit.file}")
        if not m.tests:
            problems.append(f"{m.id}: names no test")
        for test in m.tests:
            if not (root / test.split("::")[0]).is_file():
                problems.append(f"{m.id}: no test file {test}")
    return problems


# Left out of a copy when git cannot list the files (a checkout from a tarball).
_NOT_COPIED = {".git", ".venv", "data", "site", "__pycache__", ".mypy_cache", ".ruff_cache"}


def _files(source: Path) -> list[str]:
    """The files git tracks or would track (ignored ones, such as .venv and data, left out)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=source,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        return [
            str(path.relative_to(source))
            for path in source.rglob("*")
            if path.is_file() and not _NOT_COPIED & set(path.relative_to(source).parts)
        ]
    return [name.decode() for name in listed if name]


def copy_tree(source: Path, target: Path) -> None:
    """A copy of the checkout's files at `target`, to mutate without touching the original."""
    for relative in _files(source):
        origin = source / relative
        if not origin.is_file():  # deleted in the working tree but not yet in the index
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)


_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)


def _first_failure(output: str) -> str:
    match = _FAILED.search(output)
    return match.group(1) if match else "(see pytest output)"


def run_one(mutation: Mutation, timeout_s: float, source: Path = ROOT) -> Outcome:
    """Copy, mutate, run the named tests with -x; caught when pytest reports a failure."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"casino-mutate-{mutation.id}-") as scratch:
        tree = Path(scratch) / "tree"
        copy_tree(source, tree)
        for edit in mutation.edits:
            apply(tree, edit)
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        command += [*mutation.tests, *(p for p in mutation.pending if (tree / p).is_file())]
        try:
            done = subprocess.run(
                command, cwd=tree, capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired:
            # A hang is not a verdict: report it rather than count it either way.
            return Outcome(mutation, "ERROR", f"no result in {timeout_s:.0f} s", _since(started))
    output = done.stdout + done.stderr
    seconds = _since(started)
    if done.returncode == 0:
        return Outcome(mutation, "SURVIVED", "every named test passed", seconds)
    if done.returncode == 1:  # tests ran and one failed (pytest's TESTS_FAILED)
        return Outcome(mutation, "caught", _first_failure(output), seconds)
    if done.returncode == 2 and _FAILED.search(output):  # -x stops it as "interrupted"
        return Outcome(mutation, "caught", _first_failure(output), seconds)
    tail = " / ".join(output.strip().splitlines()[-2:])[:200]
    return Outcome(mutation, "ERROR", f"pytest exit {done.returncode}: {tail}", seconds)


def _since(started: float) -> float:
    return time.monotonic() - started


def select(only: Sequence[str]) -> list[Mutation]:
    if not only:
        return list(MUTATIONS)
    known = {m.id: m for m in MUTATIONS}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise SystemExit(f"unknown mutation ids: {', '.join(unknown)} (see --list)")
    return [known[i] for i in only]


def _print_list(mutations: Sequence[Mutation]) -> None:
    for m in mutations:
        files = ", ".join(sorted({e.file for e in m.edits}))
        print(f"{m.id}\n  file: {files}\n  why: {m.why}\n  tests: {' '.join(m.tests)}")
        if m.pending:
            print(f"  pending (run once they exist): {' '.join(m.pending)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="run.py mutate",
        description="apply each listed money mutation to a copy and run the tests that "
        "should catch it; exit 1 when any survives",
    )
    parser.add_argument("--only", nargs="+", default=[], metavar="ID", help="these mutations")
    parser.add_argument("--list", action="store_true", help="print the mutations and stop")
    parser.add_argument("--jobs", type=int, default=1, help="mutations run at once (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per mutation"
    )
    args = parser.parse_args(argv)
    mutations = select(args.only)
    if args.list:
        _print_list(mutations)
        return 0
    if not (ROOT / "run.py").is_file() or not (ROOT / "tests").is_dir():
        print("`mutate` runs from a source checkout: python3 run.py mutate", file=sys.stderr)
        return 2
    problems = check(mutations)
    if problems:
        print("the mutation list no longer matches the code:", *problems, sep="\n  ")
        return 2
    started = time.monotonic()
    width = max(len(m.id) for m in mutations)
    print(f"{'mutation':<{width}}  {'verdict':<8}  {'seconds':>7}  caught by", flush=True)
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        outcomes = []
        for outcome in pool.map(lambda m: run_one(m, args.timeout), mutations):
            outcomes.append(outcome)
            print(
                f"{outcome.mutation.id:<{width}}  {outcome.verdict:<8}  "
                f"{outcome.seconds:>7.1f}  {outcome.detail}",
                flush=True,
            )
    bad = [o for o in outcomes if o.survived]
    print(
        f"{len(outcomes) - len(bad)} of {len(outcomes)} caught"
        f" in {time.monotonic() - started:.0f} s"
        + (f"; not caught: {', '.join(o.mutation.id for o in bad)}" if bad else "")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
