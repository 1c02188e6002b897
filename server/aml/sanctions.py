"""The operator's sanctions and PEP list, in the OpenSanctions "simple" CSV format, and screening.

The file (CASINO_SANCTIONS_FILE) has the columns id, schema, name, aliases, birth_date,
countries, addresses, identifiers, sanctions, phones, emails, dataset, first_seen,
last_seen, last_change; multiple values in one cell are separated by ";". Only `Person`
rows are screened against players. It is read at first use and again whenever the file
changes, so the operator replaces the file and the next screening uses it.

A hit is a listed name (or alias) whose similarity (server/aml/matching.py) reaches the
threshold and whose birth dates do not contradict the player's: a listed date (or year,
or year and month) that the player's date of birth does not start with rules the row
out; a row with no birth date is a name-only hit, for staff to judge.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from server.aml.matching import similarity, skeleton, tokens

COLUMNS = (
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers",
    "sanctions", "phones", "emails", "dataset", "first_seen", "last_seen", "last_change",
)  # fmt: skip


class ListError(ValueError):
    """The file is not an OpenSanctions simple CSV (named with the reason)."""


@dataclass(frozen=True, slots=True)
class Listed:
    id: str
    names: tuple[str, ...]  # the name first, then the aliases
    birth_dates: tuple[str, ...]  # ISO dates or their prefixes (1970, 1970-05)
    countries: tuple[str, ...]
    kind: str  # "sanction" (listed under a sanctions programme), "pep" or "listed"
    dataset: str


@dataclass(frozen=True, slots=True)
class Hit:
    listed_id: str
    listed_name: str
    score: float
    kind: str
    birth_date_matched: bool  # False: the row has no birth date, the name alone matched
    dataset: str


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def parse(path: Path) -> list[Listed]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("id", "schema", "name", "aliases", "birth_date") if c not in
                   (reader.fieldnames or [])]  # fmt: skip
        if missing:
            raise ListError(f"{path}: not an OpenSanctions simple CSV (no {', '.join(missing)})")
        found = []
        for row in reader:
            if row.get("schema") != "Person" or not row.get("name"):
                continue
            datasets = row.get("dataset") or ""
            kind = (
                "sanction"
                if row.get("sanctions")
                else "pep"
                if "pep" in datasets.lower()
                else "listed"
            )
            found.append(
                Listed(
                    id=row["id"], names=(row["name"], *_split(row.get("aliases") or "")),
                    birth_dates=_split(row.get("birth_date") or ""),
                    countries=tuple(c.upper() for c in _split(row.get("countries") or "")),
                    kind=kind, dataset=datasets,
                )
            )  # fmt: skip
        return found


def _keys(name: str) -> set[str]:
    """Blocking keys: the first two letters of each token's skeleton."""
    return {skeleton(token)[:2] for token in tokens(name)}


@dataclass
class SanctionsList:
    """The list at `path`, reloaded when the file changes; empty when no path is set."""

    path: Path | None
    threshold: float = 0.9
    _mtime: int | None = None
    _rows: list[Listed] = field(default_factory=list)
    _index: dict[str, set[int]] = field(default_factory=dict)

    def rows(self) -> list[Listed]:
        if self.path is None:
            return []
        mtime = os.stat(self.path).st_mtime_ns
        if mtime != self._mtime:
            self._rows = parse(self.path)
            index: dict[str, set[int]] = defaultdict(set)
            for number, row in enumerate(self._rows):
                for name in row.names:
                    for key in _keys(name):
                        index[key].add(number)
            self._index, self._mtime = dict(index), mtime
        return self._rows

    def screen(self, name: str, birth_date: str | None) -> list[Hit]:
        """Every listed person `name` (born on `birth_date`, ISO, when known) may be."""
        rows = self.rows()
        candidates = set().union(*(self._index.get(key, set()) for key in _keys(name)))
        hits = []
        for number in sorted(candidates):
            row = rows[number]
            score, best = max((similarity(name, listed), listed) for listed in row.names)
            if score < self.threshold:
                continue
            dated = bool(row.birth_dates) and birth_date is not None
            if dated and not any(birth_date.startswith(d) for d in row.birth_dates):  # type: ignore[union-attr]
                continue  # the listed person was born on another date: someone else
            hits.append(Hit(row.id, best, round(score, 4), row.kind, dated, row.dataset))
        return hits
