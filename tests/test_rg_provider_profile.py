"""The UK profile on providers' games: where the provider's catalogue says a game is a slot
(category "slots"), a bet meets the slot stake cap for the player's age and the 2.5 s between
game cycles, the provider's round being the cycle; a refusal reads RS_ERROR_LIMIT_REACHED and
moves nothing. A provider game that is not a slot is left to the provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from clients.provider_sim import new_uuid
from tests.conftest import ServerProcess
from tests.support.provider import DICE, FRUITS, SANDBOX, Table, launch, sandbox_client
from tests.test_rg_server import uk_player


@asynccontextmanager
async def uk_seat(casino: ServerProcess, born: str, game: str) -> AsyncIterator[Table]:
    """A UK player born on `born`, with GBP 100.00, at the sandbox provider's `game`."""
    async with await uk_player(casino, born) as player:
        provider = sandbox_client(casino)
        try:
            session = await provider.open_session(await launch(player, SANDBOX, game))
            yield Table(provider, player, session)
        finally:
            await provider.aclose()


async def test_a_20_year_olds_provider_slot_bet_above_gbp_2_is_refused_and_moves_nothing(
    casino: ServerProcess,
) -> None:
    async with uk_seat(casino, "2005-01-01", FRUITS) as seat:
        over = await seat.bet(201, currency="GBP")
        assert (over["status"], await seat.balance()) == ("RS_ERROR_LIMIT_REACHED", 10_000)


async def test_a_20_year_olds_provider_slot_bet_of_gbp_2_is_taken(casino: ServerProcess) -> None:
    async with uk_seat(casino, "2005-01-01", FRUITS) as seat:
        taken = await seat.bet(200, currency="GBP")
        assert (taken["status"], await seat.balance()) == ("RS_OK", 9_800)


async def test_a_new_provider_slot_round_sooner_than_2_5_s_is_refused_and_moves_nothing(
    casino: ServerProcess,
) -> None:
    async with uk_seat(casino, "1980-01-01", FRUITS) as seat:
        assert (await seat.bet(100, currency="GBP"))["status"] == "RS_OK"
        too_soon = await seat.bet(100, currency="GBP", round=new_uuid())
        assert (too_soon["status"], await seat.balance()) == ("RS_ERROR_LIMIT_REACHED", 9_900)


async def test_a_second_bet_in_the_same_provider_slot_round_is_taken(
    casino: ServerProcess,
) -> None:
    async with uk_seat(casino, "1980-01-01", FRUITS) as seat:
        assert (await seat.bet(100, currency="GBP"))["status"] == "RS_OK"
        again = await seat.bet(100, currency="GBP")  # the same round: the same game cycle
        assert (again["status"], await seat.balance()) == ("RS_OK", 9_800)


async def test_a_provider_game_that_is_not_a_slot_is_neither_capped_nor_paced(
    casino: ServerProcess,
) -> None:
    async with uk_seat(casino, "2005-01-01", DICE) as seat:
        assert (await seat.bet(600, currency="GBP"))["status"] == "RS_OK"
        assert (await seat.bet(600, currency="GBP", round=new_uuid()))["status"] == "RS_OK"
        assert await seat.balance() == 8_800
