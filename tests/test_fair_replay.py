"""Every game's round replayed twice from the same known answers: by the server's Python and
by the browser's own code in Chromium (clients/web/js/replay.js, written from the published
algorithm). The known-answer rounds (tests/fixtures/known_rounds.json, made once by
tests/support/known_rounds.py) cover free spins, every roulette bet, blackjack's actions and
baccarat's third cards; a round changed in any drawn field is caught by both.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from games import catalogue
from games.round import replay
from rng import fair
from rng.generator import Generator
from tests.conftest import ServerProcess
from tests.support.known_rounds import FIXTURE
from tests.test_web_client import DESKTOP, browser, open_page

__all__ = ["browser"]  # the Chromium fixture, shared with the end-to-end tests

KNOWN = json.loads(FIXTURE.read_text())
SEED_HEX: str = KNOWN["server_seed"]
ROUNDS: list[dict[str, Any]] = KNOWN["rounds"]


def python_verdict(round_: dict[str, Any]) -> str:
    game = catalogue.GAMES[round_["game"]]

    def draw(stream: Generator) -> Any:
        return json.loads(json.dumps(replay(game, round_["inputs"], stream)))

    proof = round_["proof"]
    return fair.verify_round(
        bytes.fromhex(SEED_HEX),
        proof["server_seed_hash"],
        proof["client_seed"],
        proof["nonce"],
        draw,
        round_["outcome"],
    ).value


def python_payout(round_: dict[str, Any]) -> int:
    game, inputs, proof = catalogue.GAMES[round_["game"]], round_["inputs"], round_["proof"]
    stream = fair.FairGenerator(bytes.fromhex(SEED_HEX), proof["client_seed"], proof["nonce"])
    state = game.start(inputs["stake"], stream, inputs["options"])
    for action in inputs["actions"]:
        state = game.act(state, action, stream)
    return game.payout(state)


def tampered() -> list[tuple[str, dict[str, Any]]]:
    """One round of each game with one drawn field changed, named for what changed."""
    by_game = {r["game"]: r for r in reversed(ROUNDS)}
    cases = []
    slot = copy.deepcopy(by_game["classic-sevens"])
    slot["outcome"]["stops"][1] = (slot["outcome"]["stops"][1] + 1) % 24
    cases.append(("a classic reel stop", slot))
    jewels = copy.deepcopy(next(r for r in ROUNDS if len(r["outcome"].get("spins", [])) > 1))
    jewels["outcome"]["spins"][-1]["stops"][4] = (
        jewels["outcome"]["spins"][-1]["stops"][4] + 1
    ) % 32
    cases.append(("the last free spin's stop", jewels))
    wheel = copy.deepcopy(by_game["european-roulette"])
    wheel["outcome"]["pocket"] = (wheel["outcome"]["pocket"] + 1) % 37
    cases.append(("the pocket", wheel))
    split = copy.deepcopy(next(r for r in ROUNDS if "split" in r["inputs"]["actions"]))
    split["outcome"]["hands"][1]["cards"][-1] = "KS"
    cases.append(("a split hand's card", split))
    dealt = copy.deepcopy(next(r for r in ROUNDS if r["inputs"]["actions"] == ["stand"]))
    dealt["inputs"]["actions"] = ["split"]  # not legal on the cards this stream deals
    cases.append(("an action the cards do not allow", dealt))
    coup = copy.deepcopy(by_game["punto-banco"])
    coup["outcome"]["banker"][0] = "QH" if coup["outcome"]["banker"][0] != "QH" else "KH"
    cases.append(("a banker card", coup))
    return cases


TAMPERED = tampered()


async def replay_in_page(page: Page, rounds: list[dict[str, Any]], seed_hex: str) -> list[Any]:
    results: list[Any] = await page.evaluate(
        """async ([rounds, seedHex]) => {
            const fair = await import("/js/fair.js");
            const out = [];
            for (const round of rounds) out.push(await fair.verifyRound(round, seedHex));
            return out;
        }""",
        [rounds, seed_hex],
    )
    return results


@pytest.fixture
async def page(casino: ServerProcess, browser: Browser) -> AsyncIterator[Page]:
    watched = await open_page(browser, casino.base_url, "replay", DESKTOP)
    yield watched.page
    watched.assert_clean()


def test_known_rounds_cover_every_game_and_every_rule_a_verifier_needs() -> None:
    assert {r["game"] for r in ROUNDS} == set(catalogue.GAMES)
    actions = {a for r in ROUNDS for a in r["inputs"]["actions"]}
    assert actions == {"hit", "stand", "double", "split", "insurance"}
    assert any(
        r["outcome"].get("hands", [{}])[0].get("cards", [""])[0][:1] == "A"
        and len(r["outcome"]["hands"]) > 1
        for r in ROUNDS
    )  # split aces
    assert any(len(r["outcome"].get("spins", [])) > 1 for r in ROUNDS)  # free spins
    bets = {
        b["type"]
        for r in ROUNDS
        if r["game"] == "european-roulette"
        for b in r["inputs"]["options"]["bets"]
    }
    assert len(bets) == 15
    assert any(
        len(r["outcome"].get("player", [])) == 2 and len(r["outcome"].get("banker", [])) == 3
        for r in ROUNDS
    )


@pytest.mark.parametrize(
    "index", range(len(ROUNDS)), ids=[f"{r['game']}-{r['proof']['nonce']}" for r in ROUNDS]
)
def test_the_servers_python_replays_the_known_round(index: int) -> None:
    round_ = ROUNDS[index]
    assert python_verdict(round_) == "match"
    assert python_payout(round_) == round_["payout"]


@pytest.mark.parametrize("name", [name for name, _ in TAMPERED])
def test_the_servers_python_catches_a_changed(name: str) -> None:
    round_ = dict(TAMPERED)[name]
    assert python_verdict(round_) == "outcome-mismatch"


async def test_the_page_replays_every_known_round_of_every_game(page: Page) -> None:
    results = await replay_in_page(page, ROUNDS, SEED_HEX)
    assert [r["verdict"] for r in results] == ["match"] * len(ROUNDS), [
        (r["round_id"], v["detail"])
        for r, v in zip(ROUNDS, results, strict=True)
        if v["verdict"] != "match"
    ]
    for round_, result in zip(ROUNDS, results, strict=True):
        replayed = result["replayed"]
        if round_["game"] == "blackjack":
            assert replayed["hands"] == [h["cards"] for h in round_["outcome"]["hands"]]
            assert replayed["dealer"] == round_["outcome"]["dealer"]
        if round_["game"] in ("european-roulette", "blackjack", "punto-banco"):
            assert replayed["payout"] == round_["payout"]


async def test_the_page_catches_every_changed_round_the_python_catches(page: Page) -> None:
    results = await replay_in_page(page, [r for _, r in TAMPERED], SEED_HEX)
    assert [r["verdict"] for r in results] == ["outcome-mismatch"] * len(TAMPERED)
    assert "inputs do not replay" in results[4]["detail"]


async def test_the_page_refuses_a_seed_that_is_not_the_commitment(page: Page) -> None:
    results = await replay_in_page(page, ROUNDS[:1], "00" * 32)
    assert results[0]["verdict"] == "seed-mismatch"
