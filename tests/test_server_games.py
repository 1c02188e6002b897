"""Every game over the real WebSocket: bets with options, blackjack actions across a
reconnect, and provably fair seeds whose rounds verify after rotation."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from clients.api import CasinoClient, GameSocket
from games import catalogue
from games.round import replay
from rng import fair
from rng.fair import FairGenerator
from tests.conftest import ServerProcess, new_player


async def logged_in(casino: ServerProcess, deposit: int) -> tuple[CasinoClient, GameSocket]:
    client, _ = await new_player(casino.base_url, deposit=deposit)
    sock = client.socket()
    await sock.__aenter__()
    assert client.token is not None
    await sock.hello(client.token)
    return client, sock


async def close(client: CasinoClient, sock: GameSocket) -> None:
    await sock.__aexit__(None, None, None)
    await client.__aexit__(None, None, None)


async def unfinished_blackjack(sock: GameSocket, stake: int = 100) -> dict[str, Any]:
    """Deal until a hand waits for the player (naturals settle at once)."""
    for _ in range(30):
        reply = await sock.request("play", game="blackjack", stake=stake)
        assert reply["type"] == "round", reply
        if not reply["finished"]:
            return reply
    raise AssertionError("thirty blackjack deals all settled at once")


async def test_roulette_takes_several_bets_and_settles_at_once(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    try:
        bets = [
            {"type": "straight", "numbers": [17], "amount": 100},
            {"type": "red", "amount": 200},
            {"type": "dozen", "index": 2, "amount": 100},
        ]
        reply = await sock.request(
            "play", game="european-roulette", stake=400, options={"bets": bets}
        )
        assert (reply["type"], reply["finished"], reply["stake"], reply["actions"]) == (
            "round",
            True,
            400,
            [],
        )
        assert reply["balance"] == 10_000 - 400 + reply["payout"]
    finally:
        await close(client, sock)


async def test_a_roulette_bet_on_an_invalid_number_is_refused(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=1000)
    try:
        bets = [{"type": "straight", "numbers": [37], "amount": 100}]
        reply = await sock.request(
            "play", game="european-roulette", stake=100, options={"bets": bets}
        )
        assert reply["code"] == "INVALID_BET"
        assert (await sock.balance())["balance"] == 1000
    finally:
        await close(client, sock)


async def test_baccarat_plays_the_chosen_bet(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=1000)
    try:
        reply = await sock.request("play", game="punto-banco", stake=100, options={"bet": "banker"})
        assert (reply["type"], reply["finished"]) == ("round", True)
        assert reply["outcome"]["bet"] == "banker"
        assert reply["payout"] in (0, 100, 195)
    finally:
        await close(client, sock)


async def test_a_blackjack_hand_waits_for_actions_and_standing_settles_it(
    casino: ServerProcess,
) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    try:
        hand = await unfinished_blackjack(sock)
        assert hand["outcome"]["hole_card_hidden"] is True
        if "no_insurance" in hand["actions"]:  # the dealer shows an ace: insurance comes first
            hand = await sock.request("act", round_id=hand["round_id"], action="no_insurance")
        if not hand["finished"]:
            assert "stand" in hand["actions"]
            hand = await sock.request("act", round_id=hand["round_id"], action="stand")
        assert (hand["type"], hand["finished"], hand["actions"]) == ("round", True, [])
        assert hand["outcome"]["hole_card_hidden"] is False
        assert (await sock.balance())["balance"] == hand["balance"]
    finally:
        await close(client, sock)


async def test_an_illegal_blackjack_action_is_refused_and_the_hand_goes_on(
    casino: ServerProcess,
) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    try:
        hand = await unfinished_blackjack(sock)
        assert (await sock.request("act", round_id=hand["round_id"], action="surrender"))[
            "code"
        ] == "UNKNOWN_ACTION"
        if "split" not in hand["actions"]:
            refused = await sock.request("act", round_id=hand["round_id"], action="split")
            assert refused["code"] == "ILLEGAL_ACTION"
        resumed = await sock.request("resume", round_id=hand["round_id"])
        assert resumed["actions"] == hand["actions"]
    finally:
        await close(client, sock)


async def test_doubling_holds_the_extra_stake(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    try:
        for _ in range(30):
            hand = await unfinished_blackjack(sock)
            if "no_insurance" in hand["actions"]:  # under an ace insurance is decided first
                hand = await sock.request("act", round_id=hand["round_id"], action="no_insurance")
                if hand["finished"]:
                    continue
            if "double" in hand["actions"]:
                break
            await sock.request("act", round_id=hand["round_id"], action="stand")
        doubled = await sock.request("act", round_id=hand["round_id"], action="double")
        assert doubled["stake"] == 200
        assert doubled["finished"] is True
        assert doubled["balance"] == hand["balance"] - 100 + doubled["payout"]
    finally:
        await close(client, sock)


async def test_a_hand_survives_a_reconnect_and_blocks_a_second_hand(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    hand = await unfinished_blackjack(sock)
    await sock.__aexit__(None, None, None)
    try:
        async with client.socket() as again:
            assert client.token is not None
            welcome = await again.hello(client.token)
            assert welcome["open_rounds"] == [{"game": "blackjack", "round_id": hand["round_id"]}]
            second = await again.request("play", game="blackjack", stake=100)
            assert second["code"] == "ROUND_IN_PROGRESS"
            resumed = await again.request("resume", round_id=hand["round_id"])
            assert resumed["outcome"] == hand["outcome"]
            while not resumed["finished"]:
                action = "no_insurance" if "no_insurance" in resumed["actions"] else "stand"
                resumed = await again.request("act", round_id=hand["round_id"], action=action)
            assert (await again.hello(client.token))["code"] == "ALREADY_AUTHENTICATED"
    finally:
        await client.__aexit__(None, None, None)


async def test_a_hand_left_past_the_round_timeout_is_stood_and_settled(
    casino: ServerProcess,
) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    try:
        hand = await unfinished_blackjack(sock)
        for _ in range(100):
            await asyncio.sleep(0.1)
            welcome_rounds = (await sock.request("resume", round_id=hand["round_id"])).get("code")
            if welcome_rounds == "NOT_FOUND":
                break
        else:
            raise AssertionError("the abandoned hand was not completed")
        for _ in range(100):  # history shows durable rounds: wait for the flusher
            rounds = (await sock.history(limit=1))["rounds"]
            if rounds and rounds[0]["round_id"] == hand["round_id"]:
                break
            await asyncio.sleep(0.05)
        assert rounds[0]["round_id"] == hand["round_id"]
        assert rounds[0]["status"] == "settled"
        assert rounds[0]["inputs"]["actions"][-1] in ("stand", "no_insurance")
    finally:
        await close(client, sock)


async def test_seeds_show_the_commitment_and_count_nonces(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=1000)
    try:
        before = await sock.request("seeds")
        await sock.spin("classic-sevens", 100)
        after = await sock.request("seeds")
        assert len(before["server_seed_hash"]) == 64
        assert after["server_seed_hash"] == before["server_seed_hash"]
        assert after["nonce"] == before["nonce"] + 1
    finally:
        await close(client, sock)


async def test_a_malformed_client_seed_is_refused(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=0)
    try:
        reply = await sock.request("set_client_seed", client_seed="has:colon")
        assert reply["code"] == "INVALID_CLIENT_SEED"
    finally:
        await close(client, sock)


async def test_rounds_verify_against_the_seed_revealed_by_rotation(casino: ServerProcess) -> None:
    client, sock = await logged_in(casino, deposit=10_000)
    try:
        chosen = await sock.request("set_client_seed", client_seed="my lucky seed")
        committed = chosen["server_seed_hash"]
        await sock.spin("classic-sevens", 100)
        await sock.request(
            "play",
            game="european-roulette",
            stake=100,
            options={"bets": [{"type": "odd", "amount": 100}]},
        )
        rotated = await sock.request("rotate_seed")
        assert rotated["revealed_seed_hash"] == committed
        assert rotated["server_seed_hash"] != committed
        seed = bytes.fromhex(rotated["revealed_server_seed"])
        assert fair.verify_commitment(seed, committed)
        rounds = (await sock.history(limit=2))["rounds"]
        for played in rounds:
            proof = played["proof"]
            assert (proof["server_seed_hash"], proof["client_seed"]) == (committed, "my lucky seed")
            game = catalogue.get(played["game"])
            assert game is not None
            stream = FairGenerator(seed, proof["client_seed"], proof["nonce"])
            recomputed = msgspec.json.decode(
                msgspec.json.encode(replay(game, played["inputs"], stream))
            )
            assert recomputed == played["outcome"]
    finally:
        await close(client, sock)
