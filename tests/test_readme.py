"""The README stays true: it documents every error code, variable and command."""

from __future__ import annotations

import argparse
from pathlib import Path

from protocol.errors import ErrorCode
from run import build_parser
from server.config import VARIABLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_error_code_is_in_the_readme() -> None:
    assert [code for code in ErrorCode if f"| `{code}` |" not in README] == []


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
