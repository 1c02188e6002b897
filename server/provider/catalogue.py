"""The game catalogue: our own games (from `games.catalogue`) and providers' games.

Owns the `provider_games` table. A provider game is identified by (provider id,
game_code); its RTP is the provider's certified figure, kept exact as
thousandths of a percent, and its stake limits are enforced on every bet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from games import catalogue as house_catalogue
from server.storage.database import Database, Row

HOUSE = "house"
GAME_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
HOUSE_CATEGORIES = {"slot": ["slots"], "table": ["table-games"]}
SLOT_CATEGORY = "slots"


@dataclass(frozen=True, slots=True)
class ProviderGame:
    provider_id: str
    game_code: str
    name: str
    categories: tuple[str, ...]
    rtp_millipercent: int  # 96500 = 96.500 %
    min_stake: int
    max_stake: int
    enabled: bool

    @property
    def is_slot(self) -> bool:
        """Does the catalogue say this is a slot? (Jurisdictions cap slot stakes and pace
        slot cycles; the category is the provider's own word for it.)"""
        return SLOT_CATEGORY in self.categories

    @property
    def rtp(self) -> str:
        return f"{self.rtp_millipercent // 1000}.{self.rtp_millipercent % 1000:03d}"


def _game(row: Row) -> ProviderGame:
    return ProviderGame(
        provider_id=str(row[0]),
        game_code=str(row[1]),
        name=str(row[2]),
        categories=tuple(c for c in str(row[3]).split(",") if c),
        rtp_millipercent=int(row[4]),
        min_stake=int(row[5]),
        max_stake=int(row[6]),
        enabled=bool(row[7]),
    )


_COLUMNS = (
    "g.provider_id, g.game_code, g.name, g.categories, g.rtp_millipercent, g.min_stake,"
    " g.max_stake, g.enabled"
)


async def get(db: Database, provider_id: str, game_code: str) -> ProviderGame | None:
    """An enabled game of an active provider, or None."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM provider_games g JOIN providers p ON p.id = g.provider_id"  # noqa: S608
        " WHERE g.provider_id = ? AND g.game_code = ? AND g.enabled = 1 AND p.status = 'active'",
        (provider_id, game_code),
    )
    return _game(row) if row else None


async def provider_games(db: Database) -> list[ProviderGame]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM provider_games g JOIN providers p ON p.id = g.provider_id"  # noqa: S608
        " WHERE g.enabled = 1 AND p.status = 'active' ORDER BY g.provider_id, g.game_code"
    )
    return [_game(row) for row in rows]


_ADD = (
    "INSERT INTO provider_games (provider_id, game_code, name, categories, rtp_millipercent,"
    " min_stake, max_stake, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (provider_id, game_code) "
)
_ADD_IF_ABSENT = _ADD + "DO NOTHING"
_ADD_OR_REPLACE = _ADD + (
    "DO UPDATE SET name = excluded.name, categories = excluded.categories,"
    " rtp_millipercent = excluded.rtp_millipercent, min_stake = excluded.min_stake,"
    " max_stake = excluded.max_stake, enabled = excluded.enabled"
)


async def add_game(db: Database, game: ProviderGame, if_absent: bool = False) -> bool:
    """Add (or, unless `if_absent`, replace) a provider game; True when a row was written."""
    if not GAME_CODE.fullmatch(game.game_code):
        raise ValueError("a game code is 1-64 of a-z, 0-9, '_', '.' and '-'")
    if not 0 < game.min_stake <= game.max_stake:
        raise ValueError("stakes must satisfy 0 < min_stake <= max_stake")
    if not 0 < game.rtp_millipercent <= 100_000:
        raise ValueError("RTP must be in (0, 100] percent")
    if any("," in c or not c for c in game.categories):
        raise ValueError("categories are non-empty and contain no comma")
    sql = _ADD_IF_ABSENT if if_absent else _ADD_OR_REPLACE
    async with db.transaction() as tx:
        changed = await tx.execute(
            sql,
            (
                game.provider_id, game.game_code, game.name, ",".join(game.categories),
                game.rtp_millipercent, game.min_stake, game.max_stake, int(game.enabled),
            ),
        )  # fmt: skip
    return changed == 1


def house_entries() -> list[dict[str, Any]]:
    return [
        {
            "id": info.id,
            "game_code": info.id,
            "provider": HOUSE,
            "name": info.name,
            "categories": HOUSE_CATEGORIES.get(info.kind, [info.kind]),
            "rtp": f"{float(info.rtp) * 100:.3f}",
            "min_stake": info.min_stake,
            "max_stake": info.max_stake,
            "stake_step": info.stake_step,
            "volatility": str(info.volatility),
        }
        for info in house_catalogue.infos()
    ]


def provider_entry(game: ProviderGame) -> dict[str, Any]:
    return {
        "id": f"{game.provider_id}:{game.game_code}",
        "game_code": game.game_code,
        "provider": game.provider_id,
        "name": game.name,
        "categories": list(game.categories),
        "rtp": game.rtp,
        "min_stake": game.min_stake,
        "max_stake": game.max_stake,
        "stake_step": 1,
        "volatility": None,
    }


async def entries(db: Database) -> list[dict[str, Any]]:
    """Every game a player can launch, ours first."""
    return house_entries() + [provider_entry(g) for g in await provider_games(db)]
