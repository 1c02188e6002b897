"""Every kind of win, reached on purpose on the real server and paid as the published rules say.

Each test chooses the client seed (`set_client_seed`, as any player may) whose next round
reaches the wanted outcome, worked out by the independent checker from the server seed the
database holds (tests/support/round_audit.py), then plays that round over the WebSocket. The
reply's payout must be the rules' figure (an exact value where the rule gives one), and the
balance must move by exactly payout - stake. Random seeds would leave whether a win path
runs at all to chance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from clients.api import GameSocket
from tests.conftest import ServerProcess, new_player
from tests.support import payouts
from tests.support.round_audit import steer_next_round

FUNDS = 100_000


@pytest.fixture
async def sock(casino: ServerProcess) -> AsyncIterator[GameSocket]:
    """A funded player's play socket, past `hello`."""
    client, _ = await new_player(casino.base_url, deposit=FUNDS)
    async with client, client.socket() as opened:
        assert client.token is not None
        await opened.hello(client.token)
        yield opened


async def play(
    sock: GameSocket,
    casino: ServerProcess,
    wanted: Callable[[payouts.Stream], bool],
    game: str,
    stake: int,
    options: dict[str, Any] | None = None,
    actions: Sequence[str] = (),
) -> dict[str, Any]:
    """Steer the next round to `wanted`, play it (then `actions`), and check its payout and
    the balance against the checker; the last reply."""
    seed, client_seed, nonce = await steer_next_round(sock, casino.database_path, wanted)
    before = (await sock.balance())["balance"]
    fields: dict[str, Any] = {"game": game, "stake": stake}
    if options is not None:
        fields["options"] = options
    reply = await sock.request("play", **fields)
    for action in actions:
        assert reply["type"] == "round" and not reply["finished"], reply
        reply = await sock.request("act", round_id=reply["round_id"], action=action)
    assert reply["type"] == "round" and reply["finished"], reply
    inputs = {"stake": stake, "options": options, "actions": list(actions)}
    assert reply["payout"] == payouts.expected_payout(game, inputs, seed, client_seed, nonce)
    assert reply["balance"] - before == reply["payout"] - reply["stake"]
    assert (await sock.balance())["balance"] == reply["balance"]
    return reply


# -- slots --------------------------------------------------------------------------------------


async def test_a_classic_sevens_three_of_a_kind_line_pays(
    sock: GameSocket, casino: ServerProcess
) -> None:
    def wanted(s: payouts.Stream) -> bool:
        return bool(payouts.classic_sevens(100, s).symbols_won - {"CHERRY"})

    reply = await play(sock, casino, wanted, "classic-sevens", 100)
    assert reply["payout"] >= 20 * 20  # a lemon line at least: 20 line stakes of 20
    assert {w["symbol"] for w in reply["outcome"]["wins"]} - {"CHERRY"}


async def test_classic_sevens_cherries_from_the_left_pay(
    sock: GameSocket, casino: ServerProcess
) -> None:
    def wanted(s: payouts.Stream) -> bool:
        result = payouts.classic_sevens(100, s)
        return result.symbols_won == {"CHERRY"} and result.line_wins == 1

    reply = await play(sock, casino, wanted, "classic-sevens", 100)
    assert reply["payout"] in (2 * 20, 5 * 20)  # one cherry or two, on one line of 20


async def test_a_crown_jewels_line_win_with_no_scatter_pays(
    sock: GameSocket, casino: ServerProcess
) -> None:
    def wanted(s: payouts.Stream) -> bool:
        result = payouts.crown_jewels(200, s)
        return result.line_wins > 0 and not result.scatter_pays

    reply = await play(sock, casino, wanted, "crown-jewels", 200)
    assert reply["payout"] > 0 and len(reply["outcome"]["spins"]) == 1


async def test_a_crown_jewels_wild_line_pays(sock: GameSocket, casino: ServerProcess) -> None:
    def wanted(s: payouts.Stream) -> bool:
        result = payouts.crown_jewels(200, s)
        return "W" in result.symbols_won and not result.free_spins

    reply = await play(sock, casino, wanted, "crown-jewels", 200)
    assert "WILD" in {w["symbol"] for w in reply["outcome"]["spins"][0]["wins"]}


async def test_crown_jewels_scatters_pay_and_award_free_spins_paid_three_times(
    sock: GameSocket, casino: ServerProcess
) -> None:
    def wanted(s: payouts.Stream) -> bool:
        return payouts.crown_jewels(200, s).free_spins >= 10

    reply = await play(sock, casino, wanted, "crown-jewels", 200)
    spins = reply["outcome"]["spins"]
    assert spins[0]["scatters"] >= 3 and spins[0]["free_spins_awarded"] == 10
    assert len(spins) >= 11
    assert reply["payout"] >= 2 * 200  # three scatters alone pay twice the stake


# -- roulette -----------------------------------------------------------------------------------

ROULETTE_BETS: list[tuple[dict[str, Any], int]] = [  # a bet of 100 and what a win returns
    ({"type": "straight", "numbers": [17]}, 3600),
    ({"type": "split", "numbers": [0, 2]}, 1800),
    ({"type": "street", "numbers": [4, 5, 6]}, 1200),
    ({"type": "trio", "numbers": [0, 2, 3]}, 1200),
    ({"type": "corner", "numbers": [8, 9, 11, 12]}, 900),
    ({"type": "first_four", "numbers": [0, 1, 2, 3]}, 900),
    ({"type": "six_line", "numbers": [13, 14, 15, 16, 17, 18]}, 600),
    ({"type": "dozen", "index": 2}, 300),
    ({"type": "column", "index": 3}, 300),
    ({"type": "red"}, 200),
    ({"type": "black"}, 200),
    ({"type": "odd"}, 200),
    ({"type": "even"}, 200),
    ({"type": "low"}, 200),
    ({"type": "high"}, 200),
]


@pytest.mark.parametrize(
    ("bet", "returns"), ROULETTE_BETS, ids=[bet["type"] for bet, _ in ROULETTE_BETS]
)
async def test_every_roulette_bet_type_pays_its_odds_when_it_wins(
    sock: GameSocket, casino: ServerProcess, bet: dict[str, Any], returns: int
) -> None:
    placed = {**bet, "amount": 100}
    covered = payouts.roulette_covered(placed)

    def wanted(s: payouts.Stream) -> bool:
        return payouts.roulette_pocket(s) in covered

    reply = await play(sock, casino, wanted, "european-roulette", 100, {"bets": [placed]})
    assert (reply["payout"], reply["outcome"]["pocket"] in covered) == (returns, True)


async def test_zero_loses_every_outside_bet_and_pays_a_straight_zero(
    sock: GameSocket, casino: ServerProcess
) -> None:
    bets = [
        {"type": "straight", "numbers": [0], "amount": 10},
        *({"type": kind, "amount": 10} for kind in ("red", "black", "odd", "even", "low")),
        {"type": "dozen", "index": 1, "amount": 10},
        {"type": "column", "index": 1, "amount": 10},
    ]

    def wanted(s: payouts.Stream) -> bool:
        return payouts.roulette_pocket(s) == 0

    reply = await play(sock, casino, wanted, "european-roulette", 80, {"bets": bets})
    assert (reply["outcome"]["pocket"], reply["payout"]) == (0, 360)


# -- punto banco --------------------------------------------------------------------------------


def coup(bet: str, check: Callable[[payouts.CoupResult], bool]) -> Callable[[payouts.Stream], bool]:
    return lambda s: check(payouts.baccarat(bet, 100, s))


async def test_a_natural_ends_the_coup_on_two_cards(
    sock: GameSocket, casino: ServerProcess
) -> None:
    wanted = coup("player", lambda c: c.natural and c.winner == "player")
    reply = await play(sock, casino, wanted, "punto-banco", 100, {"bet": "player"})
    assert reply["payout"] == 200
    assert (len(reply["outcome"]["player"]), len(reply["outcome"]["banker"])) == (2, 2)


async def test_both_third_cards_are_drawn_by_the_tableau(
    sock: GameSocket, casino: ServerProcess
) -> None:
    wanted = coup("banker", lambda c: len(c.player) == len(c.banker) == 3 and c.winner == "banker")
    reply = await play(sock, casino, wanted, "punto-banco", 100, {"bet": "banker"})
    assert reply["payout"] == 195  # banker wins pay 0.95 to 1
    assert (len(reply["outcome"]["player"]), len(reply["outcome"]["banker"])) == (3, 3)


async def test_a_banker_third_card_after_the_player_stands(
    sock: GameSocket, casino: ServerProcess
) -> None:
    wanted = coup("player", lambda c: (len(c.player), len(c.banker)) == (2, 3))
    reply = await play(sock, casino, wanted, "punto-banco", 100, {"bet": "player"})
    assert (len(reply["outcome"]["player"]), len(reply["outcome"]["banker"])) == (2, 3)


async def test_a_tie_pays_eight_to_one(sock: GameSocket, casino: ServerProcess) -> None:
    reply = await play(
        sock, casino, coup("tie", lambda c: c.winner == "tie"), "punto-banco", 100, {"bet": "tie"}
    )
    assert reply["payout"] == 900


async def test_a_tie_returns_a_banker_bet(sock: GameSocket, casino: ServerProcess) -> None:
    wanted = coup("banker", lambda c: c.winner == "tie")
    reply = await play(sock, casino, wanted, "punto-banco", 100, {"bet": "banker"})
    assert reply["payout"] == 100


# -- blackjack ----------------------------------------------------------------------------------


def hand(
    actions: Sequence[str], check: Callable[[payouts.HandResult], bool]
) -> Callable[[payouts.Stream], bool]:
    """Rounds that `actions` play to the end (legal all the way) and `check` accepts."""

    def wanted(s: payouts.Stream) -> bool:
        try:
            return check(payouts.blackjack(100, actions, s))
        except AssertionError:  # the actions do not fit this deal
            return False

    return wanted


def up_card_is_no_ace(result: payouts.HandResult) -> bool:
    return payouts.rank(result.dealer[0]) != 0


async def test_a_blackjack_pays_three_to_two(sock: GameSocket, casino: ServerProcess) -> None:
    wanted = hand((), lambda r: up_card_is_no_ace(r) and r.payout == 250)
    reply = await play(sock, casino, wanted, "blackjack", 100)
    assert (reply["payout"], reply["stake"]) == (250, 100)


async def test_a_won_double_pays_twice_the_doubled_stake(
    sock: GameSocket, casino: ServerProcess
) -> None:
    wanted = hand(["double"], lambda r: up_card_is_no_ace(r) and r.payout == 400)
    reply = await play(sock, casino, wanted, "blackjack", 100, actions=["double"])
    assert (reply["payout"], reply["stake"]) == (400, 200)


async def test_split_hands_are_paid_each_on_its_own(
    sock: GameSocket, casino: ServerProcess
) -> None:
    actions = ["split", "stand", "stand"]
    wanted = hand(actions, lambda r: up_card_is_no_ace(r) and len(r.hands) == 2 and r.payout == 400)
    reply = await play(sock, casino, wanted, "blackjack", 100, actions=actions)
    assert (reply["payout"], reply["stake"]) == (400, 200)


async def test_a_split_with_one_hand_won_and_one_lost(
    sock: GameSocket, casino: ServerProcess
) -> None:
    actions = ["split", "stand", "stand"]
    wanted = hand(actions, lambda r: up_card_is_no_ace(r) and len(r.hands) == 2 and r.payout == 200)
    reply = await play(sock, casino, wanted, "blackjack", 100, actions=actions)
    assert (reply["payout"], reply["stake"]) == (200, 200)


def dealer_blackjack_over_a_plain_hand(s: payouts.Stream) -> bool:
    """The dealer shows an ace over a ten-valued hole card; the player has no blackjack."""
    shoe = payouts.blackjack_shoe(s)
    player_natural = {min(payouts.rank(c) + 1, 10) for c in (shoe[0], shoe[2])} == {1, 10}
    dealer_natural = payouts.rank(shoe[1]) == 0 and min(payouts.rank(shoe[3]) + 1, 10) == 10
    return dealer_natural and not player_natural


async def test_insurance_pays_two_to_one_against_a_dealer_blackjack(
    sock: GameSocket, casino: ServerProcess
) -> None:
    reply = await play(
        sock, casino, dealer_blackjack_over_a_plain_hand, "blackjack", 100, actions=["insurance"]
    )
    assert (reply["payout"], reply["stake"]) == (150, 150)  # the hand lost, insurance 50 x 3


async def test_declined_insurance_against_a_dealer_blackjack_loses_the_stake(
    sock: GameSocket, casino: ServerProcess
) -> None:
    reply = await play(
        sock, casino, dealer_blackjack_over_a_plain_hand, "blackjack", 100,
        actions=["no_insurance"],
    )  # fmt: skip
    assert (reply["payout"], reply["stake"]) == (0, 100)


async def test_insurance_taken_and_lost_when_the_dealer_has_no_blackjack(
    sock: GameSocket, casino: ServerProcess
) -> None:
    wanted = hand(["insurance", "stand"], lambda r: r.insurance == 50 and r.payout == 200)
    reply = await play(sock, casino, wanted, "blackjack", 100, actions=["insurance", "stand"])
    assert (reply["payout"], reply["stake"]) == (200, 150)  # the hand won, insurance lost
