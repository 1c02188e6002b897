"""The games this server deals, by id. The one place a new game is registered."""

from __future__ import annotations

from games.baccarat import Baccarat
from games.base import Game, GameInfo
from games.blackjack import Blackjack
from games.classic_slot import ClassicSlot
from games.roulette import Roulette
from games.video_slot import VideoSlot

GAMES: dict[str, Game] = {
    game.info.id: game for game in (ClassicSlot(), VideoSlot(), Roulette(), Blackjack(), Baccarat())
}


def get(game_id: str) -> Game | None:
    return GAMES.get(game_id)


def infos() -> list[GameInfo]:
    return [game.info for game in GAMES.values()]
