"""`run.py rng-certify` end to end, through `rng.certify.main`, without dieharder or ent.

The broken generators fail so blatantly (P-values far below 1e-10) that these
runs are certain in practice although they read os.urandom.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rng.certify import main

SMALL = ["--bytes", "131072", "--sequences", "16", "--draws", "9600", "--no-external"]


def certify(tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main([*SMALL, "--out", str(tmp_path), *extra])
    report = json.loads((tmp_path / "report.json").read_text(), parse_constant=_refuse)
    return code, report


def _refuse(constant: str) -> None:
    raise AssertionError(f"report.json holds {constant}, which is not JSON")


def test_stuck_bit_generator_fails_and_exits_non_zero(tmp_path: Path) -> None:
    code, report = certify(tmp_path, "--generator", "stuck-bit", "--workers", "1")
    assert code == 1
    assert report["verdict"] == "fail"
    assert "frequency" in report["confirmed_failures"]


def test_a_failure_is_confirmed_on_a_fresh_sample(tmp_path: Path) -> None:
    _, report = certify(tmp_path, "--generator", "stuck-bit", "--workers", "1")
    assert [a["number"] for a in report["attempts"]] == [1, 2]


def test_broken_modulo_generator_fails_on_the_reel_stops(tmp_path: Path) -> None:
    code, report = certify(tmp_path, "--generator", "broken-modulo", "--workers", "1")
    assert code == 1
    assert "pooled-chi-square-reel-stops" in report["confirmed_failures"]


def test_short_period_generator_fails_on_the_serial_test(tmp_path: Path) -> None:
    code, report = certify(tmp_path, "--generator", "short-period", "--workers", "1")
    assert code == 1
    assert "serial-1" in report["confirmed_failures"]


def test_production_run_reports_its_sample_and_exits_by_its_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = certify(tmp_path, "--workers", "2")
    assert code == (0 if report["verdict"] == "pass" else 1)
    assert report["generator"]["name"] == "system"
    assert report["sample"] == {
        "raw_bytes": 131072,
        "sequences": 16,
        "bits_per_sequence": 65536,
        "draws_per_scaled_range": 9600,
        "scaled_ranges": report["sample"]["scaled_ranges"],
    }
    assert [len(v) for v in report["attempts"][0]["sequences"].values()] == [16] * 17
    assert "verdict: " in capsys.readouterr().out


def test_markdown_report_states_the_verdict_and_the_skipped_tools(tmp_path: Path) -> None:
    certify(tmp_path, "--generator", "stuck-bit", "--workers", "1")
    markdown = (tmp_path / "report.md").read_text()
    assert "**Verdict: FAIL**" in markdown
    assert "dieharder skipped: --no-external given." in markdown
    assert "deliberately broken generator" in markdown


@pytest.mark.parametrize(
    "arguments",
    [["--sequences", "0"], ["--bytes", "1000"], ["--draws", "100"], ["--workers", "0"]],
)
def test_sizes_too_small_to_test_are_refused(tmp_path: Path, arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*SMALL, "--out", str(tmp_path), *arguments])
    assert exit_info.value.code == 2
