"""dieharder and ent: reading their output, and running the real programs on real samples.

`run.py test` installs both (Debian packages). On a developer's machine
without them the runs are skipped; under CI (CI=true) a missing tool fails,
so a certification can never quietly lose its outside opinions.
"""

from __future__ import annotations

import os
import shutil

import pytest

from rng.broken import StuckBitGenerator
from rng.external import parse_dieharder, parse_ent, run_dieharder, run_ent
from rng.fair import FairGenerator

DIEHARDER_OUTPUT = """\
#=============================================================================#
#            dieharder version 3.31.1 Copyright 2003 Robert G. Brown          #
#=============================================================================#
   rng_name    |rands/second|   Seed   |
stdin_input_raw|  5.95e+07  |1702670333|
#=============================================================================#
        test_name   |ntup| tsamples |psamples|  p-value |Assessment
#=============================================================================#
         sts_monobit|   1|    100000|     100|0.00000000|  FAILED
        diehard_runs|   0|    100000|     100|0.99633786|   WEAK
        diehard_runs|   0|    100000|     100|0.69735323|  PASSED
"""

ENT_TERSE = """\
0,File-bytes,Entropy,Chi-square,Mean,Monte-Carlo-Pi,Serial-Correlation
1,100000,7.998138,257.863680,127.814830,3.134285,-0.000869
"""


def test_dieharder_rows_become_results_with_their_assessment() -> None:
    results = parse_dieharder(DIEHARDER_OUTPUT)
    assert [(r.name, r.p_value, r.assessment) for r in results] == [
        ("sts_monobit (ntup 1)", 0.0, "FAILED"),
        ("diehard_runs", 0.99633786, "WEAK"),
        ("diehard_runs", 0.69735323, "PASSED"),
    ]


def test_only_a_dieharder_failure_counts_against_the_generator() -> None:
    assert [r.failed for r in parse_dieharder(DIEHARDER_OUTPUT)] == [True, False, False]


def test_dieharder_output_without_a_table_gives_nothing() -> None:
    assert parse_dieharder("dieharder: cannot read stdin\n") == []


def test_ent_chi_square_gets_the_p_value_ent_prints_as_a_percentage() -> None:
    chi = parse_ent(ENT_TERSE)[0]
    assert (chi.name, chi.statistic, chi.assessment) == ("chi-square (255 df)", 257.86368, "PASSED")
    assert chi.p_value == pytest.approx(0.4381, abs=5e-5)  # ent: "43.81 percent of the times"


def test_ent_serial_correlation_gets_a_normal_p_value() -> None:
    correlation = parse_ent(ENT_TERSE)[1]
    assert (correlation.statistic, correlation.assessment) == (-0.000869, "PASSED")
    # z = (r + 1/(n-1)) / (sqrt(n(n-3)/(n+1)) / (n-1)) = -0.27165; P = erfc(|z|/sqrt 2).
    assert round(correlation.p_value or 0.0, 6) == 0.785897


def test_ent_entropy_mean_and_pi_are_shown_for_information() -> None:
    info = parse_ent(ENT_TERSE)[2:]
    assert [(r.statistic, r.p_value, r.assessment) for r in info] == [
        (7.998138, None, "INFO"),
        (127.81483, None, "INFO"),
        (3.134285, None, "INFO"),
    ]


def test_unreadable_ent_output_is_an_error() -> None:
    assert [r.assessment for r in parse_ent("ent: no such file\n")] == ["ERROR"]


def require_tool(tool: str) -> None:
    if shutil.which(tool) is not None:
        return
    message = f"{tool} is not installed (apt-get install {tool}; run.py test does it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def fixed_stream(nonce: int) -> FairGenerator:
    return FairGenerator(bytes(32), "external", nonce)


MONOBIT = ((100, "sts_monobit"),)


def test_real_dieharder_passes_a_sound_stream() -> None:
    require_tool("dieharder")
    results = run_dieharder(fixed_stream(0).randbytes, MONOBIT, psamples=10)
    assert [(r.tool, r.name, r.assessment) for r in results] == [
        ("dieharder", "sts_monobit (ntup 1)", "PASSED")
    ]


def test_real_dieharder_fails_a_stuck_bit() -> None:
    require_tool("dieharder")
    stuck = StuckBitGenerator(fixed_stream(1))
    results = run_dieharder(stuck.randbytes, MONOBIT, psamples=10)
    assert [(r.name, r.assessment) for r in results] == [("sts_monobit (ntup 1)", "FAILED")]
    assert (results[0].p_value or 0.0) < 1e-6


def test_real_ent_passes_a_sound_sample() -> None:
    require_tool("ent")
    results = run_ent(fixed_stream(2).randbytes(100_000))
    assert [(r.name, r.assessment) for r in results[:2]] == [
        ("chi-square (255 df)", "PASSED"),
        ("serial correlation", "PASSED"),
    ]
    assert round(results[0].statistic or 0.0, 5) == 236.14976
    assert results[2].statistic == 7.998294  # entropy, bits per byte


def test_real_ent_fails_a_stuck_bit_on_chi_square() -> None:
    require_tool("ent")
    results = run_ent(StuckBitGenerator(fixed_stream(3)).randbytes(100_000))
    chi = results[0]
    assert (chi.name, chi.assessment, chi.p_value) == ("chi-square (255 df)", "FAILED", 0.0)
    # Half the byte values never occur: seven bits of entropy, not eight.
    assert results[2].statistic == 6.998845
