"""Crashes under load: kill -9 of the server, kill -9 of redis-server, and the database
locked for a while under play. Every round a client was told about is durable exactly once
afterwards, and the money reconciles (the scenarios live in server/tools/soak/crash.py, which
`run.py soak` repeats)."""

from __future__ import annotations

from pathlib import Path

from server.tools.soak import crash


async def test_kill_9_of_the_server_under_load_loses_no_acknowledged_round(tmp_path: Path) -> None:
    said = await crash.crash_under_load(tmp_path, crash.kill_server, "kill -9 server")
    assert "every one stored once" in said


async def test_kill_9_of_redis_under_load_loses_no_acknowledged_round(tmp_path: Path) -> None:
    said = await crash.crash_under_load(tmp_path, crash.kill_redis, "kill -9 redis")
    assert "every one stored once" in said


async def test_play_goes_on_while_the_database_is_locked_and_every_round_lands_once(
    tmp_path: Path,
) -> None:
    said = await crash.database_locked_under_play(tmp_path, spins=20)
    assert "20 spins acknowledged meanwhile" in said
