"""Parsing the repository's own Python for the tests that read code (`ast` scans)."""

from __future__ import annotations

import ast
import gc


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse` with the garbage collector held off. On CPython 3.11.7 a finalizer that
    runs during parsing (an earlier test's unclosed socket warning) breaks the parser's
    recursion bookkeeping: "SystemError: AST constructor recursion depth mismatch". No
    collection first: on the suite's heap one costs a tenth of a second, per file."""
    gc.disable()
    try:
        return ast.parse(source, filename=filename)
    finally:
        gc.enable()
