"""Sanctions and PEP screening against an OpenSanctions simple CSV the test writes: a hit
holds the account for enhanced due diligence; different people and dates pass."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from protocol.errors import ErrorCode
from server.aml import cases
from server.aml.policy import Policy
from server.aml.sanctions import COLUMNS, ListError, SanctionsList
from server.aml.service import Aml
from server.audit import trail
from server.storage.database import Database, now_ms
from server.storage.redis_child import RedisChild
from tests.conftest import STRONG_PASSWORD, settled_report, start_server, stop_server, unique
from tests.support import db as test_db

ROWS = [
    {"id": "NK-1", "schema": "Person", "name": "Viktor Ivanovich Petrenko",
     "aliases": "Wiktor Petrenko;Віктор Петренко", "birth_date": "1961-03-14",
     "countries": "ru", "sanctions": "EU Council Regulation 269/2014", "dataset": "EU FSF"},
    {"id": "PEP-2", "schema": "Person", "name": "María José Fernández", "aliases": "",
     "birth_date": "1970", "countries": "es", "sanctions": "", "dataset": "Every Politician PEPs"},
    {"id": "NK-3", "schema": "Person", "name": "Ahmad Karimi", "aliases": "", "birth_date": "",
     "countries": "ir", "sanctions": "OFAC SDN", "dataset": "US OFAC"},
    {"id": "ORG-4", "schema": "Organization", "name": "Petrenko Holdings", "aliases": "",
     "birth_date": "", "countries": "cy", "sanctions": "OFAC SDN", "dataset": "US OFAC"},
]  # fmt: skip


def write_list(path: Path, rows: list[dict[str, str]] = ROWS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def listed(tmp_path: Path) -> SanctionsList:
    return SanctionsList(write_list(tmp_path / "targets.simple.csv"), 0.9)


@pytest.mark.parametrize(
    ("name", "born", "hit"),
    [
        ("PETRENKO Viktor", "1961-03-14", "NK-1"),  # order and case; date corroborates
        ("Wiktor Petrenko", "1961-03-14", "NK-1"),  # an alias's transliteration
        ("Maria Jose Fernandez", "1970-08-02", "PEP-2"),  # accents; the year corroborates
        ("Ahmad Karimi", "1990-01-01", "NK-3"),  # no listed date: a name-only hit
    ],
)
def test_listed_people_are_found(listed: SanctionsList, name: str, born: str, hit: str) -> None:
    assert [h.listed_id for h in listed.screen(name, born)] == [hit]


@pytest.mark.parametrize(
    ("name", "born"),
    [
        ("Viktor Petrenko", "1985-06-15"),  # same name, another person by date of birth
        ("Maria Jose Fernandez", "1981-02-02"),
        ("Petra Jensen", "1961-03-14"),
        ("Holdings Petrenko", "1961-03-14"),  # organisations are not screened against players
    ],
)
def test_other_people_are_not_hits(listed: SanctionsList, name: str, born: str) -> None:
    assert listed.screen(name, born) == []


def test_a_hit_reports_its_kind_score_and_corroboration(listed: SanctionsList) -> None:
    [sanction] = listed.screen("Viktor Petrenko", "1961-03-14")
    [pep] = listed.screen("Maria Jose Fernandez", "1970-08-02")
    [name_only] = listed.screen("Ahmad Karimi", "1990-01-01")
    assert (sanction.kind, sanction.birth_date_matched) == ("sanction", True)
    assert (pep.kind, pep.score) == ("pep", 1.0)
    assert (name_only.kind, name_only.birth_date_matched) == ("sanction", False)


def test_a_replaced_file_is_read_again(tmp_path: Path) -> None:
    path = write_list(tmp_path / "list.csv", ROWS[:1])
    listed = SanctionsList(path, 0.9)
    assert listed.screen("Ahmad Karimi", None) == []
    write_list(path, ROWS)
    assert [h.listed_id for h in listed.screen("Ahmad Karimi", None)] == ["NK-3"]


def test_a_file_in_another_format_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Name 6,Name 1,DOB\nPetrenko,Viktor,14/03/1961\n")
    with pytest.raises(ListError, match="not an OpenSanctions simple CSV"):
        SanctionsList(path).rows()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(test_db.target_for(tmp_path))
    await database.open()
    yield database
    await database.close()


async def test_a_hit_restricts_the_account_and_opens_a_case_for_staff(
    db: Database, listed: SanctionsList
) -> None:
    async with db.transaction() as tx:
        player = await tx.insert(
            "INSERT INTO players (email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES ('v@example.com', 'v', 'x', '1961-03-14', 'DE',"
            " 'EUR', ?)",
            (now_ms(),),
        )
    assert player is not None
    statuses: list[tuple[int, str, str]] = []

    async def set_status(player_id: int, status: str, reason: str) -> None:
        statuses.append((player_id, status, reason))

    async def never(player_id: int) -> bool:
        return False

    aml = Aml(db, Policy(), listed, never, set_status)
    await aml.screen(player, "Viktor Petrenko", "1961-03-14", "DE", "192.0.2.1")
    [case] = await cases.of_player(db, player)
    assert (case.rule, case.action, case.status) == ("sanctions", "restrict", "open")
    assert statuses == [(player, "restricted", "aml:sanctions")]
    await cases.close_case(db, case.id, "cleared", "ana", "different person: passport seen",
                           set_status=set_status)  # fmt: skip
    assert statuses[-1] == (player, "active", "aml:sanctions:cleared")
    actions = [e["action"] for e in await trail.entries(db, f"player:{player}")]
    assert actions == ["sanctions_screened", "aml_case_opened", "aml_case_cleared"]


async def test_a_confirmed_sanctions_hit_closes_the_account_and_freezes_withdrawals(
    db: Database, listed: SanctionsList
) -> None:
    async with db.transaction() as tx:
        player = await tx.insert(
            "INSERT INTO players (email, username, password_hash, date_of_birth, country,"
            " currency, created_at) VALUES ('w@example.com', 'w', 'x', '1961-03-14', 'DE',"
            " 'EUR', ?)",
            (now_ms(),),
        )
    assert player is not None
    statuses: list[tuple[int, str, str]] = []

    async def set_status(player_id: int, status: str, reason: str) -> None:
        statuses.append((player_id, status, reason))

    async def done(player_id: int) -> bool:
        return True

    aml = Aml(db, Policy(), listed, done, set_status)
    await aml.screen(player, "Wiktor Petrenko", "1961-03-14", "DE")
    [case] = await cases.of_player(db, player)
    await cases.close_case(db, case.id, "confirmed", "ana", "listed person: EU 269/2014",
                           set_status=set_status)  # fmt: skip
    assert statuses[-1] == (player, "disabled", "aml:sanctions:confirmed")

    @dataclass(frozen=True)
    class Request:
        player_id: int
        currency: str = "EUR"
        amount: int = 100
        gateway: str = "sandbox_gateway"

    refusal = await aml.held(Request(player))
    assert refusal is not None
    assert (refusal.code, refusal.extra["case_id"]) == (ErrorCode.AML_REVIEW_REQUIRED, case.id)


async def test_registering_under_a_listed_name_holds_the_account_and_money_reconciles(
    tmp_path: Path, private_redis: RedisChild
) -> None:
    path = write_list(tmp_path / "list.csv")
    server = start_server(tmp_path, private_redis, {"CASINO_SANCTIONS_FILE": str(path)})
    try:
        async with httpx.AsyncClient(base_url=server.base_url) as http:

            async def register(name: str, full_name: str) -> dict[str, object]:
                response = await http.post("/api/players", json={
                    "email": f"{name}@example.com", "username": name,
                    "password": STRONG_PASSWORD, "date_of_birth": "1961-03-14",
                    "country": "DE", "currency": "EUR", "full_name": full_name,
                })  # fmt: skip
                assert response.status_code == 201, response.text
                return dict(response.json())

            listed_player = await register(unique("v_"), "Wiktor PETRENKO")
            ordinary_player = await register(unique("o_"), "Anna Schneider")
        db = Database(server.database_path)
        await db.open()
        try:
            status = {
                int(row[0]): str(row[1])
                for row in await db.fetchall("SELECT id, status FROM players")
            }
            held = await cases.of_player(db, int(str(listed_player["player_id"])))
            assert [c.rule for c in held] == ["sanctions"]
            assert await cases.of_player(db, int(str(ordinary_player["player_id"]))) == []
            assert (await trail.verify(db)).ok
        finally:
            await db.close()
        assert status[int(str(listed_player["player_id"]))] == "restricted"
        assert status[int(str(ordinary_player["player_id"]))] == "active"
        report = await settled_report(server)
        assert report.ok, "\n".join(report.lines())
    finally:
        stop_server(server)
