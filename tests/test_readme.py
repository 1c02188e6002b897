"""The README stays a true front door: the quick start, every command, and links that lead
into every guide of `docs/`. What moved into the guides is checked there
(tests/test_docs_site.py)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from server.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#(?P<anchor>[^)\s]+))?\)")


def heading_anchors(markdown: str) -> set[str]:
    """The anchors MkDocs gives a page's headings (its `toc` slugs)."""
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+?)(?: \{#[^}]+\})?$", markdown, re.M):
        text = re.sub(r"[^\w\s-]", "", heading.replace("`", "").lower())
        anchors.add(re.sub(r"[\s]+", "-", text.strip()))
    return anchors


def test_every_command_is_in_the_readme() -> None:
    subcommands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert [c for c in subcommands.choices if f"`run.py {c}" not in README] == []


def test_the_quick_start_is_serve_then_test() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == [
        "python3 run.py serve",
        "python3 run.py test",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in README
    assert ci.strip().endswith("exec python3 run.py test")


def test_the_readme_stays_a_front_door_of_at_most_200_lines() -> None:
    assert len(README.splitlines()) <= 200


def test_every_relative_link_in_the_readme_reaches_a_file_and_heading() -> None:
    broken = []
    for link in LINK.finditer(README):
        target = ROOT / link["target"]
        if not target.is_file():
            broken.append(link["target"])
        elif link["anchor"] and link["anchor"] not in heading_anchors(target.read_text()):
            broken.append(f"{link['target']}#{link['anchor']}")
    assert broken == []


def test_the_readme_links_to_every_guide_page() -> None:
    linked = {link["target"] for link in LINK.finditer(README)}
    pages = {str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md")}
    assert sorted(pages - linked) == []
