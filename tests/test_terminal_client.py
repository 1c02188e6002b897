"""The terminal client (`run.py play`) as a subprocess against a real server: unattended
play of every game with the proofs verified, the balance it prints against the
wallet's, and the menu driven through standard input. Its copies of the slots'
reel lengths and paylines are held equal to the games'.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from clients import terminal_menu, terminal_session
from clients.terminal_view import money, parse_money
from games import classic_slot, video_slot
from tests.conftest import STRONG_PASSWORD, ServerProcess, new_player

ROOT = Path(__file__).resolve().parent.parent
GAME_NAMES = (
    "Classic Sevens",
    "Crown Jewels",
    "European Roulette",
    "Blackjack",
    "Punto Banco Baccarat",
)


async def play(*args: str, stdin: str = "", password: str | None = None) -> tuple[int, str]:
    env = {**os.environ, "CASINO_NO_BOOTSTRAP": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("CASINO_PASSWORD", None)
    if password is not None:
        env["CASINO_PASSWORD"] = password
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "run.py"),
        "play",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    output, _ = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    return await process.wait(), output.decode()


def final_balance(output: str) -> int:
    found = re.search(r"final balance ([\d,]+\.\d\d) EUR", output)
    assert found, output
    amount = parse_money(found.group(1))
    assert amount is not None
    return amount


async def test_auto_registers_plays_every_game_and_verifies(casino: ServerProcess) -> None:
    args = ["--auto", "10", "--register", "--verify", "--client-seed", "tty-less"]
    code, output = await play("--url", casino.base_url, *args)
    assert code == 0, output
    assert "registered player term_" in output
    assert "deposited 100.00 EUR" in output
    for name in GAME_NAMES:
        assert output.count(f"· {name}") == 2, name
    assert "played 10 rounds" in output
    assert "client seed      │ tty-less" in output
    assert "revealed seed" in output
    verdicts = re.findall(r"^\s*(MATCH|COMMITMENT-ONLY|\S+-MISMATCH)\s", output, re.M)
    assert sorted(verdicts) == ["COMMITMENT-ONLY"] * 8 + ["MATCH"] * 2, output
    assert "verified: 8 commitment-only, 2 match" in output
    final_balance(output)


async def test_auto_balance_is_the_wallets(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url, deposit=5_000)
    try:
        args = ["--user", str(player["username"]), "--auto", "4", "--game", "blackjack"]
        code, output = await play(
            "--url", casino.base_url, *args, "--stake", "200", password=STRONG_PASSWORD
        )
        assert code == 0, output
        assert output.count("· Blackjack") == 4
        assert re.search(r"dealer\s+│", output)
        wallet = await client.call("GET", "/api/wallet")
    finally:
        await client.http.aclose()
    assert final_balance(output) == wallet["balance"]
    assert f"final balance {money(wallet['balance'])}" in output


async def test_menu_driven_through_standard_input(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url, deposit=5_000)
    await client.http.aclose()
    steps = [
        "1", "1.00", "b",  # Classic Sevens: one spin at 1.00, back
        "3", "red 1, 17 0.50, dozen 2 0.50", "b",  # roulette: three bets, back
        "f", "r", "v", "", "b",  # fair play: rotate, verify with the revealed seed, back
        "h", "1", "",  # history: open the newest round's proof, back
        "q",
    ]  # fmt: skip
    login = ["--url", casino.base_url, "--user", str(player["username"])]
    code, output = await play(*login, stdin="\n".join(steps) + "\n", password=STRONG_PASSWORD)
    assert code == 0, output
    assert "balance 50.00 EUR" in output
    assert "red: 1.00 EUR" in output and "straight 17: 0.50 EUR" in output
    assert "dozen 2: 0.50 EUR" in output
    assert re.search(r"MATCH\s+Classic Sevens", output), output
    assert re.search(r"verified: \d+ commitment-only, 1 match", output), output
    assert "Proof of round" in output and "verdict" in output


async def test_bad_login_and_missing_password_are_refused(casino: ServerProcess) -> None:
    args = ["--url", casino.base_url, "--user", "nobody_here", "--auto", "1"]
    code, output = await play(*args, password="Wrong-Password-1")
    assert code == 1 and "INVALID_CREDENTIALS" in output
    code, output = await play(*args)
    assert code == 2 and "CASINO_PASSWORD" in output


def test_client_copies_of_slot_data_match_the_games() -> None:
    assert tuple(len(reel) for reel in classic_slot.REELS) == terminal_session.CLASSIC_REEL_LENGTHS
    assert terminal_session.PAYLINES["classic-sevens"] == classic_slot.PAYLINES
    assert terminal_session.PAYLINES["crown-jewels"] == video_slot.PAYLINES


def test_roulette_bets_parse_from_text() -> None:
    assert terminal_menu.parse_bets("red 1, 17 0.50, dozen 2 1, split 17 18 0.5", "EUR") == [
        {"type": "red", "amount": 100},
        {"type": "straight", "amount": 50, "numbers": [17]},
        {"type": "dozen", "amount": 100, "index": 2},
        {"type": "split", "amount": 50, "numbers": [17, 18]},
    ]
    for bad in ("red", "purple 1", "17 abc", "dozen x 1"):
        try:
            terminal_menu.parse_bets(bad, "EUR")
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")
