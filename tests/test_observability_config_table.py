"""The documentation's configuration table states the same defaults as
`server.config.VARIABLES`, the table the server validates its environment against: an
operator reads that page (docs/operators/configuration.md, generated at build time)."""

from __future__ import annotations

import re

from server import docs_site
from server.config import VARIABLES

README = docs_site.configuration_reference()  # the table the configuration page shows
ROW = re.compile(r"^\| `(?P<name>CASINO_[A-Z0-9_]+)` \| (?P<default>[^|]*?) \|", re.M)
UNSET = "(unset)"


def readme_defaults() -> dict[str, str]:
    """Variable -> default as the README's table states it ("" where it says "(unset)")."""
    defaults = {}
    for row in ROW.finditer(README):
        cell = row["default"].strip()
        defaults[row["name"]] = "" if cell == UNSET else cell.removeprefix("`").removesuffix("`")
    return defaults


def test_the_readme_table_states_each_variables_default() -> None:
    code_defaults = {name: default for name, (default, _) in VARIABLES.items()}
    assert readme_defaults() == code_defaults
