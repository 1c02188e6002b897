"""The documentation site stays true: it builds strictly, its generated references list
everything the code defines, and its worked examples run against the real thing.

The site is built once for the module, into a temporary directory, through the same
`docs_site.build` that `run.py test` calls. Code examples are found by the title of their
fence (```python title="signing.py"```), so a test names exactly the block it runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from games import cards, rtp
from games.baccarat import Baccarat
from games.blackjack import Blackjack
from games.classic_slot import ClassicSlot
from games.roulette import Roulette
from games.video_slot import VideoSlot
from protocol.close_codes import CloseCode
from protocol.errors import ErrorCode
from protocol.messages import REQUEST_TYPES
from rng import fair
from rng.fair import FairGenerator
from rng.generator import Generator
from server import docs_site
from server.config import VARIABLES
from server.provider import signatures
from server.provider.status import Status
from tests.conftest import ServerProcess, new_player
from tests.support.provider import FRUITS, SANDBOX, launch, sandbox_secret

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    assert docs_site.build(strict=True, site_dir=site_dir) == 0, "mkdocs build --strict failed"
    return site_dir


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text()


def code_block(doc: str, title: str) -> str:
    """The code of the fence titled `title` in docs/`doc`."""
    text = (DOCS / doc).read_text()
    found = re.search(rf'```\w+ title="{re.escape(title)}"\n(.*?)\n```', text, re.S)
    assert found, f"docs/{doc} has no code block titled {title}"
    return found.group(1)


# -- the build and its generated sections -----------------------------------------------


def test_no_generated_section_is_left_unfilled(site: Path) -> None:
    unfilled = [p for p in site.rglob("*.html") if "<!-- generated:" in p.read_text()]
    assert unfilled == []


def test_an_unknown_generated_section_is_refused() -> None:
    with pytest.raises(ValueError, match="no generated section 'nonsense'"):
        docs_site.fill("# Page\n\n<!-- generated: nonsense -->\n", "page.md")


def test_the_configuration_page_lists_every_variable(site: Path) -> None:
    html = page(site, "operators/configuration")
    assert [name for name in VARIABLES if f"<code>{name}</code>" not in html] == []


def test_the_configuration_table_shows_markup_in_a_meaning_as_text() -> None:
    table = docs_site.configuration_reference()
    assert "Authorization: Bearer &lt;token&gt;" in table


def test_the_protocol_page_lists_every_error_code(site: Path) -> None:
    html = page(site, "clients/protocol")
    assert [code for code in ErrorCode if f"<code>{code}</code>" not in html] == []


def test_the_protocol_page_lists_every_close_code(site: Path) -> None:
    html = page(site, "clients/protocol")
    assert [code for code in CloseCode if f"<td>{int(code)}</td>" not in html] == []


def test_the_protocol_page_describes_every_request_type(site: Path) -> None:
    html = page(site, "clients/protocol")
    assert [t for t in sorted(REQUEST_TYPES) if f'id="request-{t}"' not in html] == []


def test_the_hand_written_request_table_names_every_request_type() -> None:
    text = (DOCS / "clients" / "protocol.md").read_text()
    table = text.split("## Requests and their replies", 1)[1].split("\n## ", 1)[0]
    assert [t for t in sorted(REQUEST_TYPES) if f"| `{t}` |" not in table] == []


def test_the_message_reference_states_a_fields_limits_and_default() -> None:
    reference = docs_site.protocol_messages()
    assert "| `limit` | integer, 1 to 100 | `20` |" in reference
    assert "| `stake` | integer, 1 to 2^53 − 1 | required |" in reference


def test_the_statuses_page_lists_every_provider_status(site: Path) -> None:
    html = page(site, "providers/statuses")
    assert [s for s in Status if f"<code>{s}</code>" not in html] == []


def test_the_registering_page_states_the_default_session_ttl(site: Path) -> None:
    html = page(site, "providers/registering")
    assert "14400 s (4 h) by default" in html
    assert "<code>--session-ttl</code>" in html


def test_the_par_sheets_page_holds_every_games_exact_rtp(site: Path) -> None:
    html = page(site, "players/par-sheets")
    rows = [row for sheet in rtp.SHEETS.values() for row in sheet()]
    assert [r.game_id for r in rows if f"<td>{float(r.rtp) * 100:.4f}</td>" not in html] == []
    assert "<code>36/37</code>" in html


# -- the provider signing recipe --------------------------------------------------------


def worked_example() -> tuple[str, str, bytes, str]:
    """(secret, timestamp, body, signature) as the signing page states them."""
    shell = code_block("providers/signing.md", "worked-example.sh")
    values = dict(re.findall(r"^(SECRET|TS|BODY)='?(.*?)'?$", shell, re.M))
    signature = code_block("providers/signing.md", "signature").strip()
    return values["SECRET"], values["TS"], values["BODY"].encode(), signature


def signing_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    for title in ("signing.py", "call.py"):
        exec(code_block("providers/signing.md", title), namespace)
    return namespace


def test_the_worked_example_signature_is_the_servers() -> None:
    secret, timestamp, body, signature = worked_example()
    assert signatures.hmac_sign(secret, timestamp, body) == signature
    assert signatures.hmac_verify(secret, timestamp, body, signature)


def test_the_worked_example_shell_pipeline_prints_the_signature() -> None:
    _, _, _, signature = worked_example()
    shell = code_block("providers/signing.md", "worked-example.sh")
    printed = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == signature


def test_the_python_worked_example_passes() -> None:
    namespace = signing_namespace()
    exec(code_block("providers/signing.md", "worked-example.py"), namespace)


def test_the_python_recipe_signs_replies_as_the_server_does() -> None:
    namespace = signing_namespace()
    secret, timestamp, body, _ = worked_example()
    assert namespace["REPLY_PREFIX"] == signatures.REPLY_DOMAIN
    ours = namespace["sign"](secret, timestamp, body, prefix=namespace["REPLY_PREFIX"])
    assert ours == signatures.hmac_sign(secret, timestamp, body, reply=True)


async def test_the_curl_call_exchanges_a_launch_token_on_a_live_server(
    casino: ServerProcess,
) -> None:
    player, profile = await new_player(casino.base_url, deposit=2_500)
    try:
        launched = await launch(player, SANDBOX, FRUITS)
    finally:
        await player.http.aclose()
    env = {
        **os.environ,
        "CASINO": casino.base_url,
        "PROVIDER": SANDBOX,
        "SECRET": sandbox_secret(casino),
        "TOKEN": launched["token"],
        "PLAYER": launched["user"],
    }
    shell = code_block("providers/signing.md", "call.sh")
    printed = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", shell], env=env, capture_output=True, text=True, check=True
    )
    reply = json.loads(printed.stdout)
    player_id = str(profile["player_id"])
    assert (reply["status"], reply["user"], reply["balance"]) == ("RS_OK", player_id, 2_500)
    assert reply["token"] != launched["token"]


async def test_the_python_calls_open_a_session_and_read_the_balance(
    casino: ServerProcess,
) -> None:
    player, profile = await new_player(casino.base_url, deposit=3_000)
    try:
        launched = await launch(player, SANDBOX, FRUITS)
    finally:
        await player.http.aclose()
    namespace = signing_namespace()
    namespace.update(
        CASINO=casino.base_url,
        PROVIDER=SANDBOX,
        SECRET=sandbox_secret(casino),
        TOKEN=launched["token"],
        PLAYER=launched["user"],
    )
    session = code_block("providers/signing.md", "session.py")
    await asyncio.to_thread(exec, session, namespace)
    balance = namespace["balance"]
    assert (balance["status"], balance["user"], balance["balance"]) == (
        "RS_OK",
        str(profile["player_id"]),
        3_000,
    )


# -- the provably fair recipes ----------------------------------------------------------

FAIR_PAGE = "players/provably-fair.md"
SEED = bytes.fromhex("5e" * 32)


def spin_namespace(stops: list[int]) -> dict[str, Any]:
    """What a player copies from a revealed Classic Sevens round of seed 00..1f."""
    server_seed = bytes(range(32))
    return {
        "REVEALED_SERVER_SEED": server_seed.hex(),
        "SERVER_SEED_HASH": fair.seed_hash(server_seed),
        "CLIENT_SEED": "my seed",
        "NONCE": 7,
        "OUTCOME_STOPS": stops,
    }


def real_spin_stops() -> list[int]:
    state = ClassicSlot().start(100, FairGenerator(bytes(range(32)), "my seed", 7))
    return list(state.stops)


def test_the_verification_snippet_verifies_a_real_spin() -> None:
    exec(code_block(FAIR_PAGE, "verify-classic-sevens.py"), spin_namespace(real_spin_stops()))


def test_the_verification_snippet_catches_a_wrong_outcome() -> None:
    wrong = [(stop + 1) % 24 for stop in real_spin_stops()]
    with pytest.raises(AssertionError):
        exec(code_block(FAIR_PAGE, "verify-classic-sevens.py"), spin_namespace(wrong))


def recipes() -> dict[str, Any]:
    """Both snippets of the page run: the first checks a real spin, the second maps streams."""
    namespace = spin_namespace(real_spin_stops())
    exec(code_block(FAIR_PAGE, "verify-classic-sevens.py"), namespace)
    exec(code_block(FAIR_PAGE, "every-game.py"), namespace)
    return namespace


def rounds(count: int) -> list[tuple[Generator, Any]]:
    """(the real game's stream, the page's stream) for `count` rounds of one player."""
    page_recipes = recipes()
    return [
        (FairGenerator(SEED, "by hand", nonce), page_recipes["stream"](SEED, "by hand", nonce))
        for nonce in range(count)
    ]


def test_the_page_maps_a_stream_to_crown_jewels_stops_free_spins_included() -> None:
    page_recipes = recipes()
    featured = 0
    for game_stream, page_stream in rounds(400):
        outcome = VideoSlot().describe(VideoSlot().start(20, game_stream))
        stops = [spin["stops"] for spin in outcome["spins"]]
        assert page_recipes["crown_jewels_stops"](page_stream) == stops
        featured += len(stops) > 1
    assert featured >= 1  # at least one round with free spins was checked


def test_the_page_maps_a_stream_to_the_roulette_pocket() -> None:
    page_recipes = recipes()
    bets = {"bets": [{"type": "red", "amount": 10}]}
    for game_stream, page_stream in rounds(50):
        pocket = Roulette().describe(Roulette().start(10, game_stream, bets))["pocket"]
        assert page_recipes["roulette_pocket"](page_stream) == pocket


def test_the_page_maps_a_stream_to_the_blackjack_shoe_and_its_deal() -> None:
    page_recipes = recipes()
    for game_stream, page_stream in rounds(10):
        state = Blackjack().start(100, game_stream)
        shoe = page_recipes["blackjack_shoe"](page_stream)
        assert shoe == [cards.name(c) for c in state.shoe]
        assert [cards.name(c) for c in state.hands[0].cards] == [shoe[0], shoe[2]]
        assert [cards.name(c) for c in state.dealer[:2]] == [shoe[1], shoe[3]]


def test_the_page_maps_a_stream_to_the_baccarat_hands() -> None:
    page_recipes = recipes()
    for game_stream, page_stream in rounds(200):
        outcome = Baccarat().describe(Baccarat().start(100, game_stream, {"bet": "tie"}))
        player, banker = page_recipes["baccarat_hands"](page_stream)
        assert (player, banker) == (outcome["player"], outcome["banker"])
