"""Every game's rules and paytable, built from its own definition (games/rules.py) and served
at GET /api/games/{id}/rules for the help panels: the figures are the constants the games
play with and `run.py rtp` computes from, read, never restated."""

from __future__ import annotations

from fractions import Fraction

import httpx

from games import baccarat, catalogue, classic_slot, roulette, rules, video_slot
from tests.conftest import ServerProcess


def test_every_game_has_rules() -> None:
    assert sorted(rules.RULES) == sorted(info.id for info in catalogue.infos())


def test_the_rules_state_the_games_own_limits_and_rtp() -> None:
    for info in catalogue.infos():
        found = rules.rules(info.id)
        assert found is not None
        assert (found["min_stake"], found["max_stake"], found["stake_step"]) == (
            info.min_stake,
            info.max_stake,
            info.stake_step,
        )
        assert found["rtp"] == f"{float(info.rtp) * 100:.3f}"
        assert found["rules"] and found["tables"]


def test_classic_sevens_pays_from_its_tables() -> None:
    found = rules.rules("classic-sevens")
    assert found is not None
    assert found["reels"] == [list(strip) for strip in classic_slot.REELS]
    assert found["paylines"] == [list(line) for line in classic_slot.PAYLINES]
    assert found["tables"][0]["rows"] == [
        ["7 7 7", "400× line stake"],
        ["BAR BAR BAR", "100× line stake"],
        ["BELL BELL BELL", "60× line stake"],
        ["CHERRY CHERRY CHERRY", "50× line stake"],
        ["PLUM PLUM PLUM", "40× line stake"],
        ["LEMON LEMON LEMON", "20× line stake"],
        ["CHERRY CHERRY from the left", "5× line stake"],
        ["CHERRY from the left", "2× line stake"],
    ]


def test_crown_jewels_states_wild_scatter_and_free_spins() -> None:
    found = rules.rules("crown-jewels")
    assert found is not None
    assert found["reels"] == [list(strip) for strip in video_slot.REELS]
    assert found["paylines"] == [list(line) for line in video_slot.PAYLINES]
    paytable, scatters = found["tables"]
    assert paytable["columns"] == ["Symbol", "3 in a row", "4 in a row", "5 in a row"]
    assert paytable["rows"][0] == ["WILD", "100×", "500×", "2000×"]
    assert scatters["rows"] == [["3", "2×", "10"], ["4", "10×", "10"], ["5", "100×", "10"]]
    assert (
        "3 or more scatters award 10 free spins, in which every win is multiplied by 3;"
        " 3 or more scatters during free spins award 10 more."
    ) in found["rules"]


def test_roulette_lists_every_bet_type_with_its_odds() -> None:
    found = rules.rules("european-roulette")
    assert found is not None
    rows = found["tables"][0]["rows"]
    assert len(rows) == len(roulette.BET_TYPES)
    assert rows[0] == ["Straight (one number)", "1", "35 to 1"]
    assert ["Six line (two rows)", "6", "5 to 1"] in rows
    assert ["Red", "18", "1 to 1"] in rows


def test_baccarat_and_blackjack_payouts() -> None:
    punto = rules.rules("punto-banco")
    assert punto is not None
    assert punto["tables"][0]["rows"] == [
        ["Banker", "0.95 to 1"],
        ["Player", "1 to 1"],
        ["Tie", "8 to 1"],
    ]
    assert f"Punto banco from an {baccarat.DECKS}-deck shoe" in punto["rules"][0]
    table = rules.rules("blackjack")
    assert table is not None
    assert "The dealer draws below 17 and stands on every 17, soft 17 included." in table["rules"]
    assert ["Blackjack", "3 to 2"] in table["tables"][0]["rows"]


def test_an_unknown_game_has_no_rules() -> None:
    assert rules.rules("nope") is None


async def test_the_rules_are_served_as_built(casino: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=casino.base_url) as http:
        served = await http.get("/api/games/crown-jewels/rules")
        unknown = await http.get("/api/games/nope/rules")
    assert (served.status_code, served.json()) == (200, rules.rules("crown-jewels"))
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "UNKNOWN_GAME")


def test_blackjacks_house_rules_are_found_by_dealing_fixed_shoes() -> None:
    assert rules.blackjack_house_rules() == rules.HouseRules(
        stands_soft_17=True,
        peeks_under_ten=True,
        peeks_under_ace=True,
        blackjack_pays=Fraction(3, 2),
        insurance_pays=Fraction(2),
        split_second_card_late=True,
        doubles_after_split=True,
        split_aces_one_card=True,
        split_21_pays=Fraction(1),
        surrender=False,
    )


def test_a_tie_returns_the_banker_and_player_bets() -> None:
    assert rules.baccarat_pushes_on_tie() == ("banker", "player")
