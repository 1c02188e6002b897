"""`run.py soak` with a tiny budget: one round of the race and the fuzz, each on its own
redis-server and server, says what it tried and exits 0 when nothing broke. (The crash
scenarios it also runs are exercised by tests/test_crash.py through the same functions.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest
from hypothesis import strategies as st

from server.tools.soak import fuzz, main, replay
from server.tools.soak.frames import ROUND, TOKEN, Draft
from tests.conftest import ServerProcess, new_player


def test_a_short_soak_runs_the_race_and_the_fuzz_and_finds_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main.main(
        ["--minutes", "0", "--frames", "100", "--only", "race,fuzz", "--fuzz-examples", "40"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ok     race: 600 spins + 400 provider bets" in out
    assert "ok     fuzz: " in out
    assert out.rstrip().endswith("nothing found")


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(SystemExit) as refused:
        main.main(["--only", "meteor"])
    assert refused.value.code == 2


# -- a finding, reproducible: its seed, its frames whole in a file, and `--replay FILE` -------
ISSUE_27_FRAME = (
    r'{"type": "play", "id": "\ud8c4\udd6d\u00d0\u00bc", "game": "european-roulette",'
    r' "stake": 120, "options": {"bets": {"\u0016": [2147483648,'
    r' 1000000000000000000000000000000, -5.7142036509073704e+16, "+"]}}}'
)
# What the fuzz draws that the file must keep exactly: placeholders, bytes, NaN, integers
# beyond 64 bits (which send a binary draft as JSON), raw bytes and raw text.
DRAFTS = (
    Draft(message={"type": "hello", "id": 0, "token": TOKEN, "x": b"\x00\xff"}, binary=True),
    Draft(message={"type": "act", "id": "a", "round_id": ROUND, "n": [float("nan"), 10**30]}),
    Draft(message={"type": "play", "id": 1, "options": {"x": float("-inf")}}, binary=False),
    Draft(raw=b"\x85\xc1\x00"),
    Draft(raw=ISSUE_27_FRAME),
)


def test_a_finding_file_gives_back_every_frame_exactly_with_fresh_placeholders(
    tmp_path: Path,
) -> None:
    written = replay.write(tmp_path / "finding.json", replay.Record(7, "it broke", DRAFTS))
    record = replay.read(written)
    assert (record.seed, record.finding, len(record.drafts)) == (7, "it broke", len(DRAFTS))
    for before, after in zip(DRAFTS, record.drafts, strict=True):
        assert after.render("r-9", "tok-9") == before.render("r-9", "tok-9")


def test_a_finding_file_holds_no_token_only_its_placeholder(tmp_path: Path) -> None:
    written = replay.write(tmp_path / "finding.json", replay.Record(7, "it broke", DRAFTS[:1]))
    text = written.read_text()
    assert "tok-9" not in text
    assert replay.read(written).drafts[0].render("r", "tok-9") == msgspec.msgpack.encode(
        {"type": "hello", "id": 0, "token": "tok-9", "x": b"\x00\xff"}
    )


def test_the_same_seed_draws_the_same_frames() -> None:
    def drawn(seed: int) -> list[list[bytes | str]]:
        seen: list[list[bytes | str]] = []
        fuzz.generate(lambda frames: seen.append([d.render("r", "t") for d in frames]), 25, seed)
        return seen

    first, again, other = drawn(2701), drawn(2701), drawn(2702)
    assert len(first) == 25 and first == again and first != other


def test_replaying_a_file_that_is_not_a_finding_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.json").write_text('{"frames": []}')
    with pytest.raises(SystemExit) as refused:
        main.main(["--replay", str(tmp_path / "notes.json")])
    assert refused.value.code == 2
    assert "not a soak finding" in capsys.readouterr().err


def test_each_fuzz_run_says_its_seed_and_the_first_is_the_one_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--minutes", "0", "--frames", "1", "--only", "fuzz", "--fuzz-examples", "3"]
    code = main.main([*args, "--seed", "4242"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fuzz seed 4242\n" in out
    assert "(seed 4242; total " in out


def finding_and_its_replay(ws_url: str, token: str, findings: Path) -> tuple[str, Path, int]:
    """What the fuzz said of a finding, the file it wrote, and `--replay FILE`'s exit code.
    The finding is made on purpose: a frame above 1 MiB, which the fuzz never draws, makes
    the server close the socket."""
    oversized = Draft(raw=b"\x00" * (2**20 + 1024))
    try:
        fuzz.run(ws_url, token, 3, False, 99, findings, st.just([oversized]))
    except fuzz.Finding as finding:
        said = str(finding)
    else:
        raise AssertionError("the fuzz found nothing")
    (path,) = findings.glob("fuzz-*-seed-99.json")
    assert replay.read(path).drafts == (oversized,)
    assert token not in path.read_text()
    return said, path, main.main(["--replay", str(path)])


async def test_a_fuzz_finding_names_its_seed_and_its_file_and_the_replay_finds_it_again(
    casino: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, _ = await new_player(casino.base_url)
    async with client:
        assert client.token is not None
        ws_url = "ws" + casino.base_url.removeprefix("http") + "/ws"
        said, path, code = await asyncio.to_thread(
            finding_and_its_replay, ws_url, client.token, tmp_path
        )
    out = capsys.readouterr().out
    assert said.startswith("the connection closed (received 1009")
    assert f"(fuzz seed 99; its 1 frames, whole, in {path};" in said
    assert said.endswith(f"replay: python3 run.py soak --replay {path})")
    assert code == 1, out
    assert "FINDING replay: the connection closed (received 1009" in out


def test_replaying_the_issue_27_frame_finds_nothing_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = replay.write(
        tmp_path / "issue-27.json", replay.Record(None, "no reply within 30.0s", (DRAFTS[-1],))
    )
    code = main.main(["--replay", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "frame 1: error INVALID_FIELD\n" in out
    assert out.rstrip().endswith("nothing found")
