"""`run.py risk-population`: ordinary players and scripted abusers against a real server, and
how its tally credits each alert."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.tools.risk_population import Abusers, tally

ROOT = Path(__file__).resolve().parent.parent


def test_an_alert_on_an_ordinary_player_is_a_false_positive_and_on_its_abuser_a_true_one() -> None:
    abusers = Abusers({10: "rapid_betting", 11: "shared_device", 12: "shared_device"})
    alerts = [
        {"rule": "rapid_betting", "player_id": 10, "evidence": {}},
        {"rule": "rapid_betting", "player_id": 1, "evidence": {}},
        # A linking alert lands on the account that completed the link and names both.
        {"rule": "shared_device", "player_id": 12, "evidence": {"accounts": [11, 12]}},
        {"rule": "new_device", "player_id": 11, "evidence": {}},
    ]
    assert tally(alerts, abusers) == {
        "new_device": {"abusers": 0, "true_positives": 0, "false_positives": 0,
                       "other_abuser_hits": 1, "missed": 0},
        "rapid_betting": {"abusers": 1, "true_positives": 1, "false_positives": 1,
                          "other_abuser_hits": 0, "missed": 0},
        "shared_device": {"abusers": 2, "true_positives": 2, "false_positives": 0,
                          "other_abuser_hits": 0, "missed": 0},
    }  # fmt: skip


def test_an_abuser_no_alert_names_is_missed() -> None:
    assert tally([], Abusers({10: "hedged_bets"}))["hedged_bets"]["missed"] == 1


@pytest.mark.slow
def test_a_short_population_run_catches_every_abuser_and_flags_no_ordinary_player(
    tmp_path: Path,
) -> None:
    result_file = tmp_path / "population.json"
    command = [
        sys.executable, "run.py", "risk-population", "--players", "3", "--seconds", "3",
        "--think", "0.5", "--json", str(result_file),
    ]  # fmt: skip
    run = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "CASINO_NO_BOOTSTRAP": "1", "COLUMNS": "120"},
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    rules = json.loads(result_file.read_text())["rules"]
    meant = {rule: row for rule, row in rules.items() if row["abusers"]}
    assert sorted(meant) == [
        "bonus_low_risk", "deposit_outlier", "hedged_bets", "new_device", "password_spraying",
        "rapid_betting", "shared_device",
    ]  # fmt: skip
    assert {rule: row["missed"] for rule, row in meant.items()} == dict.fromkeys(meant, 0)
    assert {rule: row["false_positives"] for rule, row in rules.items()} == dict.fromkeys(rules, 0)
    assert "false +" in run.stdout
