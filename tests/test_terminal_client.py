"""The terminal client (`run.py play`) as a subprocess against a real server: unattended
play of every game with the proofs verified, the balance it prints against the
wallet's, the menu driven through standard input (blackjack answered move by move
from the actions it offers), and a forced logout ending it with exit status 3 even
while a request is in flight. Its copies of the slots' reel lengths and paylines are
held equal to the games'.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

from clients import terminal_menu
from clients.terminal_view import money, parse_money
from server.events import push
from server.storage.redis_child import RedisChild
from server.storage.redis_client import connect as connect_redis
from tests.conftest import (
    STRONG_PASSWORD,
    ServerProcess,
    new_player,
    settled_report,
    start_server,
    stop_server,
)
from tests.support import db as test_db

ROOT = Path(__file__).resolve().parent.parent
GAME_NAMES = (
    "Classic Sevens",
    "Crown Jewels",
    "European Roulette",
    "Blackjack",
    "Punto Banco Baccarat",
)


def client_env(password: str | None) -> dict[str, str]:
    env = {**os.environ, "CASINO_NO_BOOTSTRAP": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("CASINO_PASSWORD", None)
    if password is not None:
        env["CASINO_PASSWORD"] = password
    return env


async def play(*args: str, stdin: str = "", password: str | None = None) -> tuple[int, str]:
    env = client_env(password)
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
    # Every round of every game replayed from its inputs, not only Classic Sevens.
    verdicts = re.findall(r"^\s*(MATCH|\S+-MISMATCH)\s", output, re.M)
    assert verdicts == ["MATCH"] * 10, output
    assert "verified: 10 match" in output
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
    assert re.search(r"verified: \d+ match", output), output
    assert "Proof of round" in output and "verdict" in output


async def test_without_a_terminal_or_auto_it_says_what_it_needs(casino: ServerProcess) -> None:
    code, output = await play("--url", casino.base_url)
    assert code == 2
    assert " ".join(output.split()) == (
        "no terminal to ask who you are: give --auto N to play N rounds with a new account,"
        " or --user NAME (password in CASINO_PASSWORD) to drive the menu from standard input"
    )


async def test_bad_login_and_missing_password_are_refused(casino: ServerProcess) -> None:
    args = ["--url", casino.base_url, "--user", "nobody_here", "--auto", "1"]
    code, output = await play(*args, password="Wrong-Password-1")
    assert code == 1 and "INVALID_CREDENTIALS" in output
    code, output = await play(*args)
    assert code == 2 and "CASINO_PASSWORD" in output


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


class Conversation:
    """The client as a subprocess answered prompt by prompt: what it printed is read as it
    comes, so the next answer can depend on it (a blackjack hand's offered actions)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""
        self.read_to = 0  # `until` searches what came after the previous match

    @classmethod
    async def start(cls, *args: str, password: str) -> Conversation:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "run.py"),
            "play",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=client_env(password),
            cwd=ROOT,
        )
        return cls(process)

    async def until(self, pattern: str, timeout_s: float = 20.0) -> re.Match[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        while not (found := re.compile(pattern, re.M).search(self.output, self.read_to)):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {pattern!r} in:\n{self.output}"
            try:
                chunk = await asyncio.wait_for(self.process.stdout.read(4096), remaining)
            except TimeoutError:
                continue
            assert chunk, f"the client ended before {pattern!r}:\n{self.output}"
            self.output += chunk.decode()
        self.read_to = found.end()
        return found

    async def answer(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def finish(self) -> int:
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), 30)
        self.output += rest.decode()
        return await asyncio.wait_for(self.process.wait(), 30)


ACTION_NAMES = "hit|stand|double|split|insurance|no insurance"
# The action menu: "h hit  s stand  d double", each legal action behind its key.
ACTION_MENU = rf"^[a-z] (?:{ACTION_NAMES})(?:  [a-z] (?:{ACTION_NAMES}))*$"
NEXT_STAKE = r"stake \(EUR\), or b to go back"
KEYS = {
    "h": "hit",
    "s": "stand",
    "d": "double",
    "p": "split",
    "i": "insurance",
    "n": "no insurance",
}


def menu_entries(line: str) -> list[tuple[str, str]]:
    return re.findall(rf"([a-z]) ({ACTION_NAMES})(?=  |$)", line)


async def test_menu_plays_blackjack_offering_only_the_legal_actions(casino: ServerProcess) -> None:
    client, player = await new_player(casino.base_url, deposit=5_000)
    login = ["--url", casino.base_url, "--user", str(player["username"])]
    talk = await Conversation.start(*login, password=STRONG_PASSWORD)
    offers: list[tuple[int, list[tuple[str, str]]]] = []  # (hand number, the menu's entries)
    hit_in: int | None = None
    hit_at = 0  # the index in `offers` of the menu answered with a hit
    try:
        await talk.until(r"^  4 Blackjack")
        await talk.until(r"choose")
        await talk.answer("4")
        for hand in range(1, 6):  # deal until one hand was hit (a natural settles at once)
            await talk.until(NEXT_STAKE)
            if hit_in is not None:
                break
            await talk.answer("1.00")
            while (step := await talk.until(f"{ACTION_MENU}|{NEXT_STAKE}")).group(0) != (
                "stake (EUR), or b to go back"
            ):
                entries = menu_entries(step.group(0))
                offers.append((hand, entries))
                await talk.until(r"action")
                key_of = {name: key for key, name in entries}
                if "no insurance" in key_of:
                    await talk.answer(key_of["no insurance"])
                elif hit_in is None:
                    hit_in, hit_at = hand, len(offers) - 1
                    await talk.answer(key_of["hit"])
                else:
                    await talk.answer(key_of["stand"])
            talk.read_to = step.start()  # the stake prompt is read again at the loop's top
        await talk.answer("b")
        await talk.until(r"choose")
        await talk.answer("q")
        code = await talk.finish()
        wallet = await client.call("GET", "/api/wallet")
    finally:
        await client.http.aclose()
        if talk.process.returncode is None:
            talk.process.kill()
    assert code == 0, talk.output
    assert hit_in is not None, talk.output
    for _, entries in offers:
        names = [name for _, name in entries]
        assert all(KEYS[key] == name for key, name in entries), entries
        assert names in (
            ["insurance", "no insurance"],
            ["hit", "stand", "double"],  # two cards: doubling is legal
            ["hit", "stand", "double", "split"],  # a pair
            ["hit", "stand"],  # after a hit
        ), talk.output
    after_hit = [entries for hand, entries in offers[hit_at + 1 :] if hand == hit_in]
    assert all([name for _, name in e] == ["hit", "stand"] for e in after_hit), after_hit
    assert re.search(r"dealer\s+│", talk.output), talk.output
    assert f"balance {money(wallet['balance'])}" in talk.output


async def test_a_forced_logout_during_a_request_ends_the_client_with_status_3(
    tmp_path: Path, private_redis: RedisChild
) -> None:
    server = start_server(tmp_path, private_redis)
    locker = test_db.WriteLock(server.database_path)
    try:
        client, player = await new_player(server.base_url, deposit=5_000)
        async with client, client.socket() as sock:
            assert client.token is not None
            await sock.hello(client.token)
            await sock.spin("classic-sevens", 100)  # seeds exist: the next spins are Redis only
        args = ["--user", str(player["username"]), "--auto", "20", "--game", "classic-sevens"]
        talk = await Conversation.start("--url", server.base_url, *args, password=STRONG_PASSWORD)
        await talk.until(r"logged in as")
        # No round can become durable now, so the history asked for after the last spin
        # waits on the server (up to 3 s): the logout arrives while it is in flight.
        locker.take()
        await talk.until(r"played 20 rounds; final balance")
        redis = connect_redis(private_redis.url)
        try:
            logout = {"type": "forced_logout", "reason": "account closed by support"}
            await push.publish(redis, int(str(player["player_id"])), logout)
        finally:
            await redis.aclose()
        code = await talk.finish()
        locker.release()
        report = await settled_report(server)
    finally:
        locker.close()
        stop_server(server)
    assert report.ok, "\n".join(report.lines())
    assert code == 3, talk.output
    assert "session ended by the server: account closed by support" in talk.output
    assert "History (newest first)" not in talk.output  # the history request never answered
    assert "Traceback" not in talk.output
