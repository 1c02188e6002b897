"""`run.py rng-certify` end to end, through `rng.certify.main`, without dieharder or ent.

The broken generators fail so blatantly (P-values far below 1e-10) that these
runs are certain in practice although they read os.urandom.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from games import baccarat, blackjack, blackjack_rules, cards, classic_slot, roulette, video_slot
from rng.certification import (
    ROULETTE_POCKETS,
    SCALED_RANGES,
    SHOE_DECKS,
    SLOT_STRIP_LENGTHS,
    generator_path,
    shoe,
)
from rng.certify import ROOT, main
from rng.fair import FairGenerator

SMALL = [
    "--bytes",
    "131072",
    "--sequences",
    "16",
    "--draws",
    "9600",
    "--shuffles",
    "1040",
    "--no-external",
]


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
    # One byte mod 24 is only 10 % off for a third of the stops: it takes
    # 160,000 draws to show beyond doubt.
    code, report = certify(
        tmp_path, "--generator", "broken-modulo", "--workers", "1", "--draws", "160000"
    )
    assert code == 1
    assert "pooled-chi-square-randbelow-24" in report["confirmed_failures"]


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
        "shuffles_per_shoe": 1040,
        "scaled_ranges": report["sample"]["scaled_ranges"],
    }
    assert [len(v) for v in report["attempts"][0]["sequences"].values()] == [16] * 21
    assert "verdict: " in capsys.readouterr().out


def test_markdown_report_states_the_verdict_and_the_skipped_tools(tmp_path: Path) -> None:
    certify(tmp_path, "--generator", "stuck-bit", "--workers", "1")
    markdown = (tmp_path / "report.md").read_text()
    assert "**Verdict: FAIL**" in markdown
    assert "dieharder skipped: --no-external given." in markdown
    assert "deliberately broken generator" in markdown


@pytest.mark.parametrize(
    "arguments",
    [
        ["--sequences", "0"],
        ["--bytes", "1000"],
        ["--draws", "100"],
        ["--shuffles", "1000"],
        ["--workers", "0"],
    ],
)
def test_sizes_too_small_to_test_are_refused(tmp_path: Path, arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*SMALL, "--out", str(tmp_path), *arguments])
    assert exit_info.value.code == 2


def test_the_scaled_ranges_are_the_draws_the_games_make() -> None:
    strips = {len(reel) for game in (classic_slot, video_slot) for reel in game.REELS}
    assert set(SLOT_STRIP_LENGTHS) == strips == {24, 32}
    assert ROULETTE_POCKETS == roulette.POCKETS
    assert SHOE_DECKS == (blackjack_rules.DECKS, baccarat.DECKS) == (6, 8)
    assert shoe(6) == cards.new_shoe(6)
    assert [s.name for s in SCALED_RANGES] == [
        "randbelow-24",
        "randbelow-32",
        "randbelow-37",
        "shoe-6x52-first-rank",
        "shoe-8x52-first-rank",
    ]


def fair_path(nonce: int) -> Any:
    stream = FairGenerator(bytes(32), "certify", nonce)
    return generator_path("fair", stream, "fair")


def test_the_blackjack_shoe_draw_is_the_first_card_blackjack_deals() -> None:
    shoe_range = next(s for s in SCALED_RANGES if s.name == "shoe-6x52-first-rank")
    for nonce in range(5):
        state = blackjack.Blackjack().start(100, FairGenerator(bytes(32), "certify", nonce))
        first = state.hands[0].cards[0]
        assert fair_path(nonce).draw(shoe_range, 1) == [cards.rank(first)]


def test_the_baccarat_shoe_draw_is_the_first_card_baccarat_deals() -> None:
    shoe_range = next(s for s in SCALED_RANGES if s.name == "shoe-8x52-first-rank")
    for nonce in range(5):
        generator = FairGenerator(bytes(32), "certify", nonce)
        state = baccarat.Baccarat().start(100, generator, {"bet": "player"})
        assert fair_path(nonce).draw(shoe_range, 1) == [cards.rank(state.player[0])]


def test_the_report_names_the_project_version_and_the_git_commit(tmp_path: Path) -> None:
    _, report = certify(tmp_path, "--generator", "stuck-bit", "--workers", "1", "--no-confirm")
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == "0.1.0"
    assert report["environment"]["Project"] == "casino-server 0.1.0"
    assert report["environment"]["Git commit"].removesuffix("+modified") == head
    markdown = (tmp_path / "report.md").read_text()
    assert "- Project: casino-server 0.1.0" in markdown
    assert f"- Git commit: {head}" in markdown
