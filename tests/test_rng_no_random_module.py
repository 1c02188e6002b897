"""No Python file in the repository imports the `random` module: all randomness is `rng`."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from tests.support.source import parse as source_parse

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRECTORIES = {".venv", ".git", "__pycache__", "node_modules", "data"}
# Text fallback for files that do not parse (work in progress): import lines only.
IMPORT_LINE = re.compile(r"^\s*(import\s+(\w+\s*,\s*)*random\b|from\s+random\b)", re.MULTILINE)


def python_files() -> Iterator[Path]:
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if parts & SKIPPED_DIRECTORIES or any((ROOT / p / "pyvenv.cfg").exists() for p in parts):
            continue
        yield path


def imports_random(source: str) -> bool:
    try:
        tree = source_parse(source)
    except SyntaxError:
        return IMPORT_LINE.search(source) is not None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "random" for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] == "random":
                return True
        elif isinstance(node, ast.Call) and _dynamic_import_of_random(node):
            return True
    return False


def _dynamic_import_of_random(call: ast.Call) -> bool:
    name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
    first = call.args[0] if call.args else None
    return (
        name in ("__import__", "import_module")
        and isinstance(first, ast.Constant)
        and first.value == "random"
    )


def test_the_checker_recognises_every_way_of_importing_random() -> None:
    for source in (
        "import random",
        "import os, random",
        "import random as r",
        "from random import randint",
        "from random import SystemRandom",
        "import importlib\nimportlib.import_module('random')",
        "__import__('random')",
        "def f(:\n    import random",  # does not parse: the text fallback
    ):
        assert imports_random(source), source


def test_the_checker_allows_our_own_random_names() -> None:
    for source in ("from rng import random", "import rng\nrng.random()", "x = 'import random'"):
        assert not imports_random(source), source


def test_no_python_file_imports_the_random_module() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if imports_random(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_the_scan_covers_the_rng_package() -> None:
    scanned = {path.relative_to(ROOT).as_posix() for path in python_files()}
    assert {"rng/generator.py", "rng/fair.py", "tests/test_rng_no_random_module.py"} <= scanned
