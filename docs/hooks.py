"""MkDocs hook: fills each page's generated sections at build time (see server/docs_site.py).

mkdocs.yml names this file; the generators themselves live in `server.docs_site`,
next to the code they read, so that this file stays a plain entry point.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
# `mkdocs` started through its console script has .venv/bin, not the project, on its path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server import docs_site  # noqa: E402 (needs the path set above)


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    return docs_site.fill(markdown, page.file.src_uri)
