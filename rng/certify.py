"""`run.py rng-certify`: draw a sample through the production path, test it, write a report.

This module owns the command: its flags, spreading the battery over
processes, running the outside tools, and writing report.md and report.json.
What is drawn and how it is judged belong to `rng.certification` and
`rng.report`. Exit status: 0 when the generator passes, 1 when it fails,
2 for bad arguments (from argparse).

    run.py rng-certify [--bytes N] [--sequences M] [--draws D] [--shuffles S] [--out DIR]
                       [--generator system|broken-modulo|stuck-bit|short-period]
                       [--workers W] [--no-external] [--no-confirm]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from rng import external
from rng.battery.suite import NistParameters
from rng.broken import BROKEN_GENERATORS
from rng.certification import (
    MIN_DRAWS,
    MIN_SEQUENCE_BYTES,
    MIN_SHUFFLES,
    PRODUCTION,
    DrawPath,
    SequenceFindings,
    draw_path,
    evaluate,
    examine_sequence,
    split,
)
from rng.report import Attempt, Certification, summary, to_json, to_markdown

# Sized so that the whole default run, dieharder included, takes about a
# minute on two cores: 1.6 * 10**8 bits as 1000 sequences of 160,000 bits
# (NIST asks for at least 1/alpha = 100 sequences; 1000 brings the proportion
# check's false alarms down to 0.3 % per test), and 8000 draws per scaled
# range per sequence. A whole 312-card shuffle costs as much as 250 single
# draws, so the shoes get 100 shuffles per sequence (7.7 expected per rank).
DEFAULT_BYTES = 20_000_000
DEFAULT_SEQUENCES = 1000
DEFAULT_DRAWS = 8_000_000
DEFAULT_SHUFFLES = 100_000
DEFAULT_OUT = Path("data") / "rng-certify"
ROOT = Path(__file__).resolve().parent.parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py rng-certify",
        description="Test the random number generator through the production path and "
        "write report.md and report.json.",
    )
    parser.add_argument(
        "--bytes",
        type=int,
        default=DEFAULT_BYTES,
        metavar="N",
        help=f"raw sample size in bytes (default {DEFAULT_BYTES:,})",
    )
    parser.add_argument(
        "--sequences",
        type=int,
        default=DEFAULT_SEQUENCES,
        metavar="M",
        help="split the sample into M sequences for NIST's proportion and "
        f"uniformity checks (default {DEFAULT_SEQUENCES})",
    )
    parser.add_argument(
        "--draws",
        type=int,
        default=DEFAULT_DRAWS,
        metavar="D",
        help="draws per randbelow range: the reel stops randbelow(24) and "
        f"randbelow(32), the roulette pocket randbelow(37) (default {DEFAULT_DRAWS:,})",
    )
    parser.add_argument(
        "--shuffles",
        type=int,
        default=DEFAULT_SHUFFLES,
        metavar="S",
        help="shuffles per shoe: 6x52 (blackjack) and 8x52 (baccarat) "
        f"(default {DEFAULT_SHUFFLES:,})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"report directory (default ./{DEFAULT_OUT})",
    )
    parser.add_argument(
        "--generator",
        default=PRODUCTION,
        choices=[PRODUCTION, *BROKEN_GENERATORS],
        help="'system' is production; the others are deliberately broken "
        "generators that exist only to show the battery failing",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=_cores(),
        metavar="W",
        help="processes running the battery (default: all cores)",
    )
    parser.add_argument(
        "--no-external", action="store_true", help="do not run dieharder or ent even when installed"
    )
    parser.add_argument(
        "--no-confirm", action="store_true", help="do not re-test a failed check on a fresh sample"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _validate(parser, args)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    path = draw_path(args.generator)
    run_ent = not args.no_external and external.available("ent")
    run_dieharder = not args.no_external and external.available("dieharder")

    attempts = [_attempt(1, path, args, run_ent)]
    if not args.no_confirm and attempts[0].failures:
        _say(f"failed on sample 1: {', '.join(sorted(attempts[0].failures))}; re-testing")
        attempts.append(_attempt(2, path, args, run_ent))
    dieharder = None
    if run_dieharder:
        dieharder = tuple(external.run_dieharder(path.randbytes, progress=_say))

    sequence_bits = args.bytes // args.sequences * 8
    cert = Certification(
        generator=path.name,
        generator_label=path.label,
        sample_bytes=args.bytes,
        sequences=args.sequences,
        sequence_bits=sequence_bits,
        draws_per_range=args.draws // args.sequences * args.sequences,
        shuffles_per_shoe=args.shuffles // args.sequences * args.sequences,
        parameters=NistParameters.for_length(sequence_bits),
        attempts=tuple(attempts),
        dieharder=dieharder,
        notes=_notes(args, run_ent, run_dieharder),
        environment=_environment(args.workers, run_ent, run_dieharder),
        started=started,
        seconds=time.monotonic() - clock,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(to_markdown(cert), encoding="utf-8")
    (args.out / "report.json").write_text(to_json(cert), encoding="utf-8")
    print(summary(cert))
    print(f"report: {args.out / 'report.md'} and report.json ({cert.seconds:.0f} s)")
    return 0 if cert.passed else 1


def _validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.sequences < 1:
        parser.error("--sequences must be at least 1")
    per_sequence = args.bytes // args.sequences
    if per_sequence < MIN_SEQUENCE_BYTES:
        parser.error(f"--bytes must give each sequence at least {MIN_SEQUENCE_BYTES} bytes")
    if args.draws // args.sequences < MIN_DRAWS:
        parser.error(f"--draws must give each sequence at least {MIN_DRAWS} draws")
    if args.shuffles // args.sequences < MIN_SHUFFLES:
        parser.error(f"--shuffles must give each sequence at least {MIN_SHUFFLES} shuffles")
    if args.workers < 1:
        parser.error("--workers must be at least 1")


def _attempt(number: int, path: DrawPath, args: argparse.Namespace, run_ent: bool) -> Attempt:
    clock = time.monotonic()
    _say(f"sample {number}: drawing {args.bytes:,} raw bytes through {path.name}")
    sample = path.randbytes(args.bytes)
    draws, shuffles = args.draws // args.sequences, args.shuffles // args.sequences
    findings = _examine(path, sample, args.sequences, draws, shuffles, args.workers)
    ent = tuple(external.run_ent(sample)) if run_ent else None
    return Attempt(number, evaluate(findings), ent, time.monotonic() - clock)


def _examine(
    path: DrawPath, sample: bytes, sequences: int, draws: int, shuffles: int, workers: int
) -> list[SequenceFindings]:
    parts = split(sample, sequences)
    parameters = NistParameters.for_length(len(parts[0]) * 8)
    _say(f"testing {sequences:,} sequences on {workers} process(es)")
    if workers == 1:
        one_by_one = (examine_sequence(path, part, draws, shuffles, parameters) for part in parts)
        return list(_progress(one_by_one, sequences))
    # Workers rebuild the path by name: the production path's functions are
    # module-level, and each worker's system generator reads its own os.urandom.
    tasks = [(path.name, part, draws, shuffles, parameters) for part in parts]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        found = pool.map(_examine_task, tasks, chunksize=max(1, sequences // (8 * workers)))
        return list(_progress(found, sequences))


def _progress(found: Iterator[SequenceFindings], total: int) -> Iterator[SequenceFindings]:
    for done, finding in enumerate(found, 1):
        if done % max(1, total // 10) == 0:
            _say(f"  {done:,}/{total:,} sequences")
        yield finding


def _examine_task(task: tuple[str, bytes, int, int, NistParameters]) -> SequenceFindings:
    name, raw, draws, shuffles, parameters = task
    return examine_sequence(draw_path(name), raw, draws, shuffles, parameters)


def _notes(args: argparse.Namespace, run_ent: bool, run_dieharder: bool) -> tuple[str, ...]:
    notes = []
    if args.generator != PRODUCTION:
        notes.append(
            f"'{args.generator}' is a deliberately broken generator (rng/broken.py), "
            "never used by games; this run shows the battery's power."
        )
    for tool, ran in (("dieharder", run_dieharder), ("ent", run_ent)):
        if not ran:
            why = "--no-external given" if args.no_external else "not found on PATH"
            notes.append(f"{tool} skipped: {why}.")
    leftover = args.bytes % args.sequences
    if leftover:
        notes.append(f"The last {leftover} bytes of each sample do not fill a sequence.")
    return tuple(notes)


def _environment(workers: int, run_ent: bool, run_dieharder: bool) -> dict[str, str]:
    environment = {
        "Project": project_version(),
        "Git commit": git_commit() or "unknown (not a git checkout)",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Platform": platform.platform(),
        "Processes": str(workers),
    }
    for tool, ran in (("dieharder", run_dieharder), ("ent", run_ent)):
        if ran:
            environment[tool] = external.version(tool) or "installed (version unknown)"
    return environment


def project_version(root: Path = ROOT) -> str:
    """`name version` from pyproject.toml, the release the tested code belongs to."""
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown (no pyproject.toml)"
    return f"{project.get('name', '?')} {project.get('version', '?')}"


def git_commit(root: Path = ROOT) -> str | None:
    """The checked-out commit, marked `+modified` when the rng package differs from it.

    Only rng/ counts: it is what the report certifies, and other work in the
    tree does not change a draw.
    """
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "rng"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = head.stdout.strip()
    return f"{commit}+modified" if status.stdout.strip() else commit


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _say(message: str) -> None:
    print(f"[rng-certify] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
