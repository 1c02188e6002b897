"""The README stays true: it documents every error code, variable and command."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from games.classic_slot import ClassicSlot
from protocol.close_codes import CloseCode
from protocol.errors import ErrorCode
from rng import fair
from rng.fair import FairGenerator
from run import build_parser
from server.config import VARIABLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_error_code_is_in_the_readme() -> None:
    assert [code for code in ErrorCode if f"| `{code}` |" not in README] == []


def test_every_close_code_is_in_the_readme() -> None:
    assert [code for code in CloseCode if f"| {int(code)} |" not in README] == []


def test_every_configuration_variable_is_in_the_readme() -> None:
    assert [name for name in VARIABLES if f"| `{name}` |" not in README] == []


def test_every_command_is_in_the_readme() -> None:
    subcommands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert [c for c in subcommands.choices if f"`run.py {c}" not in README] == []


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "python3 run.py test" in README
    assert ci.strip().endswith("exec python3 run.py test")


def test_the_readme_verification_snippet_verifies_a_real_spin() -> None:
    snippet = README.split("```python\n", 1)[1].split("```", 1)[0]
    server_seed = bytes(range(32))
    state = ClassicSlot().start(100, FairGenerator(server_seed, "my seed", 7))
    namespace = {
        "REVEALED_SERVER_SEED": server_seed.hex(),
        "SERVER_SEED_HASH": fair.seed_hash(server_seed),
        "CLIENT_SEED": "my seed",
        "NONCE": 7,
        "OUTCOME_STOPS": list(state.stops),
    }
    exec(snippet, namespace)  # raises AssertionError on a mismatch


def test_the_readme_verification_snippet_catches_a_wrong_outcome() -> None:
    snippet = README.split("```python\n", 1)[1].split("```", 1)[0]
    server_seed = bytes(range(32))
    state = ClassicSlot().start(100, FairGenerator(server_seed, "my seed", 7))
    wrong = [(stop + 1) % 24 for stop in state.stops]
    namespace = {
        "REVEALED_SERVER_SEED": server_seed.hex(),
        "SERVER_SEED_HASH": fair.seed_hash(server_seed),
        "CLIENT_SEED": "my seed",
        "NONCE": 7,
        "OUTCOME_STOPS": wrong,
    }
    with pytest.raises(AssertionError):
        exec(snippet, namespace)
