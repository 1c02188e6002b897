"""Second opinions from outside tools: Debian's `dieharder` and `ent`, when installed.

This module owns running those programs over the raw stream and turning
their output into `ToolResult`s. It never decides the certification's
verdict and never installs anything; a missing tool is reported as skipped.

dieharder reads an endless stream on stdin (`-g 200`), fed here from the
same draw path as the rest of the sample, one test per process with
`-Y 1` so that a WEAK result is resolved by more samples instead of being
guessed at. `ent` reads a file and reports whole-file statistics; its
chi-square and serial correlation get P-values here, its entropy, mean and
Monte Carlo pi are shown for information.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rng.battery.correlation import serial_correlation_p_value
from rng.battery.result import ALPHA
from rng.battery.special import chi_square_p_value

# Reliable ("Good") dieharder tests that together finish in about 15 s on one
# core; `-a` runs for hours. Number, name.
DIEHARDER_TESTS: tuple[tuple[int, str], ...] = (
    (0, "diehard_birthdays"),
    (1, "diehard_operm5"),
    (4, "diehard_bitstream"),
    (8, "diehard_count_1s_str"),
    (10, "diehard_parking_lot"),
    (11, "diehard_2dsphere"),
    (12, "diehard_3dsphere"),
    (15, "diehard_runs"),
    (16, "diehard_craps"),
    (100, "sts_monobit"),
    (206, "dab_dct"),
)
DIEHARDER_TIMEOUT = 120.0  # seconds per test, resolving WEAK results included
_FEED_CHUNK = 1 << 16
_ASSESSMENTS = ("PASSED", "WEAK", "FAILED")


@dataclass(frozen=True, slots=True)
class ToolResult:
    """One line of an outside tool's verdict."""

    tool: str
    name: str
    statistic: float | None
    p_value: float | None
    assessment: str  # PASSED, WEAK, FAILED, INFO, ERROR

    @property
    def failed(self) -> bool:
        """Only a clear failure counts against the generator; WEAK and INFO do not."""
        return self.assessment in ("FAILED", "ERROR")

    def as_dict(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "name": self.name,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "assessment": self.assessment,
        }


def available(tool: str) -> bool:
    return shutil.which(tool) is not None


def version(package: str) -> str | None:
    """The installed Debian package version, when dpkg knows it."""
    if shutil.which("dpkg-query") is None:
        return None
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def run_dieharder(
    randbytes: Callable[[int], bytes],
    tests: tuple[tuple[int, str], ...] = DIEHARDER_TESTS,
    progress: Callable[[str], None] | None = None,
    psamples: int | None = None,
) -> list[ToolResult]:
    """Each chosen dieharder test on an endless stream drawn from `randbytes`.

    `psamples` overrides each test's number of P-values (`-p`); None keeps
    dieharder's own, which its "Good" verdicts are calibrated for.
    """
    results: list[ToolResult] = []
    for number, name in tests:
        if progress:
            progress(f"dieharder -d {number} ({name})")
        results += _dieharder_test(randbytes, number, name, psamples)
    return results


def _dieharder_test(
    randbytes: Callable[[int], bytes], number: int, name: str, psamples: int | None
) -> list[ToolResult]:
    command = ["dieharder", "-g", "200", "-d", str(number), "-Y", "1"]
    if psamples is not None:
        command += ["-p", str(psamples)]
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT
        )
        feeder = threading.Thread(target=_feed, args=(process, randbytes), daemon=True)
        feeder.start()
        try:
            process.wait(timeout=DIEHARDER_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return [ToolResult("dieharder", name, None, None, "ERROR")]
        finally:
            feeder.join(timeout=5)
        output.seek(0)
        parsed = parse_dieharder(output.read())
    return parsed or [ToolResult("dieharder", name, None, None, "ERROR")]


def _feed(process: subprocess.Popen[bytes], randbytes: Callable[[int], bytes]) -> None:
    # dieharder stops reading when its test is done; the broken pipe ends the feed.
    stdin = process.stdin
    if stdin is None:
        return
    try:
        while process.poll() is None:
            stdin.write(randbytes(_FEED_CHUNK))
    except (BrokenPipeError, ValueError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


def parse_dieharder(text: str) -> list[ToolResult]:
    """Result rows of dieharder's table: name|ntup|tsamples|psamples|p-value|Assessment."""
    results = []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) != 6 or fields[5] not in _ASSESSMENTS:
            continue
        name, ntup = fields[0], fields[1]
        label = name if ntup == "0" else f"{name} (ntup {ntup})"
        results.append(ToolResult("dieharder", label, None, float(fields[4]), fields[5]))
    return results


def run_ent(sample: bytes) -> list[ToolResult]:
    """ent over the raw sample, written to a temporary file."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as handle:
        handle.write(sample)
        handle.flush()
        done = subprocess.run(
            ["ent", "-t", handle.name], capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        return [ToolResult("ent", "ent", None, None, "ERROR")]
    return parse_ent(done.stdout)


def parse_ent(text: str) -> list[ToolResult]:
    """ent's terse CSV: 1,bytes,entropy,chi-square,mean,monte-carlo-pi,serial-correlation."""
    rows = [line.split(",") for line in text.splitlines() if line.startswith("1,")]
    if not rows or len(rows[0]) < 7:
        return [ToolResult("ent", "ent", None, None, "ERROR")]
    size = int(rows[0][1])
    entropy, chi, mean, pi, correlation = (float(v) for v in rows[0][2:7])
    chi_p = chi_square_p_value(chi, 255)
    correlation_p = serial_correlation_p_value(correlation, size)
    pi_error = abs(pi - math.pi) / math.pi
    return [
        ToolResult("ent", "chi-square (255 df)", chi, chi_p, _assess(chi_p)),
        ToolResult("ent", "serial correlation", correlation, correlation_p, _assess(correlation_p)),
        ToolResult("ent", "entropy, bits per byte", entropy, None, "INFO"),
        ToolResult("ent", "arithmetic mean (127.5 = random)", mean, None, "INFO"),
        ToolResult("ent", f"Monte Carlo pi (error {pi_error:.3%})", pi, None, "INFO"),
    ]


def _assess(p_value: float) -> str:
    return "PASSED" if p_value >= ALPHA else "FAILED"
