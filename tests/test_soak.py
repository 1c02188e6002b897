"""`run.py soak` with a tiny budget: one round of the race and the fuzz, each on its own
redis-server and server, says what it tried and exits 0 when nothing broke. (The crash
scenarios it also runs are exercised by tests/test_crash.py through the same functions.)"""

from __future__ import annotations

import pytest

from server.soak import main


def test_a_short_soak_runs_the_race_and_the_fuzz_and_finds_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main.main(
        ["--minutes", "0", "--frames", "100", "--only", "race,fuzz", "--fuzz-examples", "40"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ok     race: 600 spins + 400 provider bets" in out
    assert "ok     fuzz: " in out
    assert out.rstrip().endswith("nothing found")


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(SystemExit) as refused:
        main.main(["--only", "meteor"])
    assert refused.value.code == 2
