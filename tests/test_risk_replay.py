"""`run.py events-export` writes a deployment's event streams as a log, and `run.py
risk-replay` runs the fraud rules over such a log and prints what each would have flagged,
under the default policy or a policy file, changing nothing in the deployment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis.asyncio as aioredis

from server.events import stream
from server.events.catalogue import Deposited, Event, LoggedInV2, StakeTaken, decode, encode
from server.storage.redis_child import RedisChild

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000_000


def run_py(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "CASINO_NO_BOOTSTRAP": "1", **(env or {})},
    )  # fmt: skip


def stake(player: int, n: int, at: int) -> StakeTaken:
    return StakeTaken(
        id=f"stake:{player}:{n}", player_id=player, at_ms=at, round_id=f"r{player}-{n}",
        game="classic", currency="EUR", amount=100, balance=0,
    )  # fmt: skip


def recorded() -> list[Event]:
    """A bot betting five times a second (player 11) beside a person betting every four
    seconds (player 12), and the person's deposit and login."""
    return [
        LoggedInV2(
            id="login:1", player_id=12, at_ms=T0, address="10.1.0.7", user_agent="Firefox/140",
            outcome="ok", device_id="home",
        ),
        Deposited(
            id="deposit:1", player_id=12, at_ms=T0 + 1, deposit_id=1, amount=2_000,
            currency="EUR", gateway="sandbox",
        ),
        *(stake(11, n, T0 + 1_000 + n * 200) for n in range(40)),
        *(stake(12, n, T0 + 1_000 + n * 4_000) for n in range(40)),
    ]  # fmt: skip


def write_log(path: Path, events: list[Event]) -> Path:
    path.write_bytes(b"".join(encode(event) + b"\n" for event in events))
    return path


def test_a_replay_prints_what_each_rule_would_have_flagged(tmp_path: Path) -> None:
    log = write_log(tmp_path / "events.jsonl", recorded())
    result = run_py("risk-replay", str(log))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "82 events replayed"
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:] if not line.startswith("p")}
    assert rows["rapid_betting"] == ["11", "1"]  # stakes 30 to 40 of the bot; one player
    assert rows["deposit_outlier"] == ["0", "0"]
    flagged = [line for line in lines if line.startswith("player ")]
    assert flagged == [
        'player 11: rapid_betting (high, flag) at stake:11:29: {"bets": 30, "window_s": 10}'
    ]


def test_a_replay_under_a_looser_policy_flags_nobody(tmp_path: Path) -> None:
    log = write_log(tmp_path / "events.jsonl", recorded())
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"rules": {"rapid_betting": {"count": 60}}}))
    result = run_py("risk-replay", str(log), "--policy", str(policy))
    assert result.returncode == 0, result.stderr
    assert "rapid_betting             0        0" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("player ")]


def test_a_line_that_is_no_event_is_refused_with_its_number(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(encode(stake(11, 0, T0)).decode() + "\n" + '{"kind": "nonsense"}\n')
    result = run_py("risk-replay", str(log))
    assert result.returncode == 2
    assert result.stderr.startswith("error: line 2: event kind 'nonsense' is unknown")


async def test_an_export_of_the_streams_replays_as_the_recording_did(
    tmp_path: Path, own_redis: RedisChild, own_redis_client: aioredis.Redis
) -> None:
    events = recorded()
    await stream.append(own_redis_client, [(e.player_id, encode(e)) for e in events])
    before = {key: await own_redis_client.xlen(key) for key in stream.all_keys()}
    out = tmp_path / "export.jsonl"
    exported = run_py("events-export", "--out", str(out), env={"CASINO_REDIS_URL": own_redis.url})
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"82 events written to {out}"
    read = [decode(line) for line in out.read_text().splitlines()]
    assert sorted(e.id for e in read) == sorted(e.id for e in events)
    for player in (11, 12):  # each player's events in the order they happened
        assert [e.id for e in read if e.player_id == player] == [
            e.id for e in events if e.player_id == player
        ]
    replayed = run_py("risk-replay", str(out))
    assert replayed.returncode == 0, replayed.stderr
    assert "player 11: rapid_betting (high, flag) at stake:11:29" in replayed.stdout
    # The replay read a file: the streams and their consumer groups are as they were.
    assert {key: await own_redis_client.xlen(key) for key in stream.all_keys()} == before
    assert await own_redis_client.keys("*risk*") == []
