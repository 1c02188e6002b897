"""The mutation list stays true to the code, and the runner tells a caught bug from a survivor.

The full run (`run.py mutate`) is long and stays out of the default suite; these tests check
the list against the current tree and run the cheapest mutation, and a harmless edit, end to
end through a copy of the checkout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.tools import mutate
from server.tools.mutations import MUTATIONS, Edit, Mutation

ROOT = Path(__file__).resolve().parent.parent


def test_every_listed_mutation_matches_the_current_tree_exactly_once() -> None:
    assert mutate.check(MUTATIONS, ROOT) == []


def test_the_list_holds_at_least_30_mutations_with_unique_ids() -> None:
    ids = [m.id for m in MUTATIONS]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


def test_the_two_bugs_planted_in_issue_25_are_listed() -> None:
    listed = {m.id: m for m in MUTATIONS}
    doubled = listed["play-doubled-payout"]
    assert [e.file for e in doubled.edits] == ["server/rounds/play.py"] * 2
    assert listed["withdrawal-key-other-amount"].file == "server/payments/service.py"


def test_an_old_text_found_twice_is_refused_and_the_file_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "money.py").write_text("x = 1\nx = 1\n")
    with pytest.raises(mutate.MutationListError, match="occurs 2 times"):
        mutate.apply(tmp_path, Edit("money.py", "x = 1", "x = 2"))
    assert (tmp_path / "money.py").read_text() == "x = 1\nx = 1\n"


def test_the_check_names_a_missing_text_and_a_missing_test_file() -> None:
    stale = Mutation(
        id="stale",
        file="server/money/balances.py",
        old="no such text in the file",
        new="x",
        why="-",
        tests=("tests/test_no_such_file.py",),
    )
    assert mutate.check([stale], ROOT) == [
        "stale: `old` occurs 0 times in server/money/balances.py, not once",
        "stale: no test file tests/test_no_such_file.py",
    ]


def test_the_cheapest_mutation_is_caught_by_its_test_in_a_copy() -> None:
    (bonus_first,) = mutate.select(["balances-bonus-spent-first"])
    outcome = mutate.run_one(bonus_first, timeout_s=300, source=ROOT)
    assert (outcome.verdict, outcome.detail.split("::")[0]) == ("caught", "tests/test_balances.py")
    assert "from_cash = min(stake" in (ROOT / "server/money/balances.py").read_text()


def test_an_edit_no_test_can_see_is_reported_as_survived() -> None:
    harmless = Mutation(
        id="harmless",
        file="server/money/balances.py",
        old='"""Cash and bonus together do not cover the stake."""',
        new='"""Cash and bonus together fall short of the stake."""',
        why="a docstring changes no behaviour",
        tests=("tests/test_balances.py",),
    )
    outcome = mutate.run_one(harmless, timeout_s=300, source=ROOT)
    assert (outcome.verdict, outcome.survived) == ("SURVIVED", True)


def test_a_checkout_without_git_is_copied_without_its_venv_or_data(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    for name in ("server/money/x.py", ".venv/bin/python", "data/casino.db", "README.md"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(name)
    mutate.copy_tree(source, tmp_path / "copy")
    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*"))
    assert copied == ["README.md", "server", "server/money", "server/money/x.py"]
