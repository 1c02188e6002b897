"""The bonus engine end to end, against a real server, Redis, SQLite and sandbox gateway: each
bonus type with exact amounts, the maximum stake on our games and providers' bets, wagering with
contribution weights (also under concurrent sessions of one player), conversion, expiry and
forfeiture; the ledger reconciles (cash, bonus, locked, bonus cost) after every test."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from clients.api import ApiFailure, CasinoClient
from clients.terminal_bonus import bonus_lines
from server.money import keys
from server.storage.redis_child import RedisChild, free_port
from server.storage.redis_client import connect as connect_redis
from tests.conftest import ServerProcess, settled_report, start_server, stop_server, unique
from tests.support import db as test_db
from tests.support.kyc import STAFF_TOKEN, verify_identity
from tests.support.payments import SERVER_ENV, Gateway, pay, player
from tests.support.provider import FRUITS, SANDBOX, launch, sandbox_client, seat

STAFF = STAFF_TOKEN  # the test servers' staff token, which KYC approval uses too
SLOT = "classic-sevens"  # stakes in steps of 5


@pytest.fixture(scope="module")
def bonus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("bonus")
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = Gateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    gateway.start()
    env = {**SERVER_ENV, "CASINO_PAYMENT_GATEWAY_URL": gateway.url, "CASINO_STAFF_TOKEN": STAFF}
    try:
        server = start_server(workdir, redis, env)
    except BaseException:
        gateway.stop()
        redis.stop()
        raise
    try:
        yield server
    finally:
        stop_server(server)
        gateway.stop()
        redis.stop()


@pytest.fixture
async def server(bonus_server: ServerProcess) -> AsyncIterator[ServerProcess]:
    """The module's server; the whole ledger reconciles once each test is done."""
    yield bonus_server
    report = await settled_report(bonus_server)
    assert report.ok, "\n".join(report.lines())


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[CasinoClient]:
    async with await player(server.base_url) as logged_in:
        yield logged_in


async def define(server: ServerProcess, **terms: Any) -> int:
    async with CasinoClient(server.base_url) as staff:
        found = await staff.call(
            "POST", "/api/staff/bonus/definitions",
            {"name": unique("promo "), "currency": "EUR", **terms},
            headers={"Authorization": f"Bearer {STAFF}"},
        )  # fmt: skip
    return int(found["id"])


async def deposit(client: CasinoClient, amount: int) -> None:
    status, body = await pay(client, "deposits", amount)
    assert (status, body["status"]) == (201, "completed"), body


async def wallet(server: ServerProcess, client: CasinoClient) -> tuple[int, int]:
    """(cash, bonus) as Redis holds them."""
    me = await client.call("GET", "/api/me")
    redis = connect_redis(server.redis.url)
    try:
        cash, bonus = await redis.hmget(keys.wallet(int(me["player_id"]), "EUR"), ["cash", "bonus"])
    finally:
        await redis.aclose()
    return int(cash or 0), int(bonus or 0)


async def bonus_page(client: CasinoClient) -> dict[str, Any]:
    page: dict[str, Any] = await client.call("GET", "/api/bonus")
    return page


async def spins(client: CasinoClient, stake: int, count: int) -> list[dict[str, Any]]:
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        return [await sock.spin(SLOT, stake) for _ in range(count)]


async def test_a_50_euro_match_at_30x_needs_1500_of_slots_and_roulette_counts_10_percent(
    server: ServerProcess, client: CasinoClient
) -> None:
    match = await define(
        server, kind="deposit_match", trigger="deposit", percent=100, cap=5_000, wagering=30,
        weights={"slot": 100, "european-roulette": 10},
    )  # fmt: skip
    await client.call("POST", "/api/bonus/claim", {"definition_id": match})
    assert (await bonus_page(client))["active"] is None  # opted in: waits for the deposit
    await deposit(client, 5_000)
    page = await bonus_page(client)
    assert (page["bonus_balance"], page["active"]["required"], page["active"]["wagered"]) == (
        5_000, 150_000, 0,
    )  # fmt: skip
    assert await wallet(server, client) == (5_000, 5_000)
    await spins(client, 100, 3)
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        bets = [{"type": "red", "amount": 400}]
        played = await sock.request(
            "play", game="european-roulette", stake=400, options={"bets": bets}
        )
        assert played["type"] == "round", played
    assert (await bonus_page(client))["active"]["wagered"] == 300 + 40


async def test_a_stake_over_the_bonus_maximum_is_refused_on_every_path_and_moves_nothing(
    server: ServerProcess, client: CasinoClient
) -> None:
    capped = await define(server, kind="no_deposit", trigger="manual", amount=1_000, wagering=5,
                          max_stake=500, weights={"slot": 100, "slots": 100})  # fmt: skip
    await deposit(client, 10_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": capped})
    before = await wallet(server, client)
    assert before == (10_000, 1_000)
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        spun = await sock.spin(SLOT, 505)
        dealt = await sock.request("play", game="blackjack", stake=502)
    assert (spun["type"], spun["code"]) == ("error", "BONUS_MAX_STAKE")
    assert (dealt["type"], dealt["code"]) == ("error", "BONUS_MAX_STAKE")
    provider = sandbox_client(server)
    try:
        session = await provider.open_session(await launch(client, SANDBOX, FRUITS))
        bet = await provider.transaction("bet", {
            "token": session["token"], "user": session["user"], "game_code": FRUITS,
            "round": unique("r"), "transaction_uuid": unique("t"), "currency": "EUR",
            "amount": 501,
        })  # fmt: skip
        assert bet["status"] == "RS_ERROR_LIMIT_REACHED"
        accepted = await provider.transaction("bet", {
            "token": session["token"], "user": session["user"], "game_code": FRUITS,
            "round": unique("r"), "transaction_uuid": unique("t"), "currency": "EUR",
            "amount": 500, "round_closed": True,
        })  # fmt: skip
        assert accepted["status"] == "RS_OK"
    finally:
        await provider.aclose()
    assert await wallet(server, client) == (9_500, 1_000)  # only the accepted 5.00 moved
    assert (await bonus_page(client))["active"]["wagered"] == 500  # provider slots: 100 %


async def test_completed_wagering_converts_the_bonus_to_cash_up_to_its_cap(
    server: ServerProcess, client: CasinoClient
) -> None:
    capped = await define(server, kind="no_deposit", trigger="manual", amount=1_000, wagering=1,
                          max_convert=600)  # fmt: skip
    await deposit(client, 10_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": capped})
    played = await spins(client, 100, 9)
    cash, bonus = await wallet(server, client)
    assert bonus == 1_000  # cash covered every stake, so the bonus was never spent
    (last,) = await spins(client, 100, 1)
    assert await wallet(server, client) == (cash - 100 + last["payout"] + 600, 0)
    page = await bonus_page(client)
    assert page["active"] is None and page["bonus_balance"] == 0
    assert (page["awards"][0]["status"], page["awards"][0]["outcome"]) == ("ended", "converted")
    assert len(played) == 9


async def test_leaving_a_bonus_removes_only_bonus_money(
    server: ServerProcess, client: CasinoClient
) -> None:
    gift = await define(server, kind="no_deposit", trigger="manual", amount=2_500, wagering=20)
    await deposit(client, 3_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    assert await wallet(server, client) == (3_000, 2_500)
    page = await client.call("POST", "/api/bonus/forfeit")
    assert (page["active"], page["bonus_balance"]) == (None, 0)
    assert await wallet(server, client) == (3_000, 0)
    assert (page["awards"][0]["status"], page["awards"][0]["outcome"]) == ("ended", "forfeited")


async def test_a_withdrawal_while_wagering_asks_to_confirm_forfeiture(
    server: ServerProcess,
) -> None:
    client = await player(server.base_url, verified=True)  # a withdrawal needs KYC first
    gift = await define(server, kind="no_deposit", trigger="manual", amount=2_000, wagering=10)
    await verify_identity(client, STAFF)  # KYC's rule lets the withdrawal reach the bonus's
    await deposit(client, 4_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    status, body = await pay(client, "withdrawals", 1_000)
    assert (status, body["error"]["code"]) == (409, "BONUS_FORFEIT_REQUIRED")
    assert await wallet(server, client) == (4_000, 2_000)
    response = await client.http.post(
        "/api/payments/withdrawals", json={"amount": 1_000, "forfeit_bonus": True},
        headers={"Authorization": f"Bearer {client.token}", "Idempotency-Key": unique("k-")},
    )  # fmt: skip
    assert (response.status_code, response.json()["status"]) == (201, "completed")
    assert await wallet(server, client) == (3_000, 0)
    await client.http.aclose()


async def test_an_expired_bonus_is_removed_and_the_next_queued_one_becomes_active(
    server: ServerProcess, client: CasinoClient
) -> None:
    first = await define(server, kind="no_deposit", trigger="manual", amount=700, wagering=10)
    second = await define(server, kind="welcome", trigger="manual", amount=300, wagering=2)
    await deposit(client, 1_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": first})
    await client.call("POST", "/api/bonus/claim", {"definition_id": second})
    page = await bonus_page(client)
    assert [a["status"] for a in page["awards"]] == ["queued", "active"]
    me = await client.call("GET", "/api/me")
    redis = connect_redis(server.redis.url)
    try:  # time passes: the bonus's expiry is now
        await redis.hset(keys.bonus(int(me["player_id"]), "EUR"), "expires_at", 1)
    finally:
        await redis.aclose()
    page = await bonus_page(client)
    assert [(a["status"], a["outcome"]) for a in page["awards"]] == [
        ("active", None), ("ended", "expired"),
    ]  # fmt: skip
    assert (page["active"]["required"], page["bonus_balance"]) == (600, 300)
    assert await wallet(server, client) == (1_000, 300)


async def test_a_promo_code_claims_once_and_a_hidden_offer_needs_it(
    server: ServerProcess, client: CasinoClient
) -> None:
    code = unique("C")[:12].upper()
    coded = await define(server, kind="no_deposit", trigger="code", code=code, amount=100)
    offered = [o["id"] for o in (await bonus_page(client))["offers"]]
    assert coded not in offered
    with pytest.raises(ApiFailure) as refused:
        await client.call("POST", "/api/bonus/claim", {"definition_id": coded})
    assert refused.value.code == "BONUS_NOT_AVAILABLE"
    await deposit(client, 100)
    await client.call("POST", "/api/bonus/claim", {"code": code.lower()})
    with pytest.raises(ApiFailure) as again:
        await client.call("POST", "/api/bonus/claim", {"code": code})
    assert again.value.code == "BONUS_NOT_AVAILABLE"
    # No wagering: the bonus converts as soon as it is granted.
    assert await wallet(server, client) == (200, 0)


async def test_cashback_pays_a_share_of_the_net_loss_as_cash(
    server: ServerProcess, client: CasinoClient
) -> None:
    back = await define(server, kind="cashback", trigger="manual", percent=10, wagering=0)
    await deposit(client, 5_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": back})
    played = await spins(client, 100, 20)
    loss = sum(100 - p["payout"] for p in played)
    cash, _ = await wallet(server, client)
    me = await client.call("GET", "/api/me")
    report = await settled_report(server)  # the rounds are durable before cashback reads them
    assert report.stream_backlog == 0
    async with CasinoClient(server.base_url) as staff:
        paid = await staff.call(
            "POST", "/api/staff/bonus/cashback",
            {"definition_id": back, "player_id": int(me["player_id"]), "since": 0, "until": 2**62},
            headers={"Authorization": f"Bearer {STAFF}"},
        )  # fmt: skip
    expected = max(loss, 0) * 10 // 100
    assert paid["paid"] == expected
    assert await wallet(server, client) == (cash + expected, 0)


def trail_entries(server: ServerProcess, subject: str) -> list[tuple[str, str, str]]:
    """(actor, action, details) of the audit trail's entries about `subject`."""
    rows = test_db.query(
        server.database_path,
        "SELECT actor, action, details FROM audit_trail WHERE subject = ? ORDER BY id",
        (subject,),
    )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


async def test_a_defined_promotion_is_on_the_audit_trail_with_its_terms(
    server: ServerProcess,
) -> None:
    match = await define(server, kind="deposit_match", trigger="deposit", percent=50, cap=1_000)
    [(actor, action, details)] = trail_entries(server, f"bonus_definition:{match}")
    assert (actor, action) == ("staff:automation", "bonus_defined")
    assert json.loads(details)["id"] == match


async def test_cashback_paid_by_staff_is_on_the_audit_trail(
    server: ServerProcess, client: CasinoClient
) -> None:
    back = await define(server, kind="cashback", trigger="manual", percent=10, wagering=0)
    await client.call("POST", "/api/bonus/claim", {"definition_id": back})
    me = int((await client.call("GET", "/api/me"))["player_id"])
    async with CasinoClient(server.base_url) as staff:
        paid = await staff.call(
            "POST", "/api/staff/bonus/cashback",
            {"definition_id": back, "player_id": me, "since": 0, "until": 2**62},
            headers={"Authorization": f"Bearer {STAFF}"},
        )  # fmt: skip
    [(actor, details)] = [
        (actor, details)
        for actor, action, details in trail_entries(server, f"player:{me}")
        if action == "cashback_awarded"
    ]
    assert (paid["paid"], actor) == (0, "staff:automation")
    assert json.loads(details) == {
        "amount": 0, "currency": "EUR", "definition_id": back,
        "award_id": json.loads(details)["award_id"], "since": 0, "until": 2**62,
    }  # fmt: skip


async def test_the_staff_api_needs_the_staff_token(server: ServerProcess) -> None:
    async with CasinoClient(server.base_url) as anyone:
        with pytest.raises(ApiFailure) as refused:
            await anyone.call(
                "GET", "/api/staff/bonus/definitions", headers={"Authorization": "Bearer nope"}
            )
    assert (refused.value.status, refused.value.code) == (401, "STAFF_ONLY")


async def race(server: ServerProcess, client: CasinoClient) -> tuple[int, int]:
    """1,000 stakes at once on one wallet: 600 spins of 0.50 from six play sessions and 400
    provider bets of 0.40 (32 in flight); (staked, paid) of those accepted."""
    assert client.token is not None
    token = client.token

    async def session(count: int) -> tuple[int, int]:
        staked = paid = 0
        async with client.socket() as sock:
            await sock.hello(token)
            for _ in range(count):
                reply = await sock.spin(SLOT, 50)
                if reply["type"] == "spin":
                    staked, paid = staked + 50, paid + int(reply["payout"])
        return staked, paid

    provider = sandbox_client(server)
    in_flight = asyncio.Semaphore(32)
    try:
        table = await provider.open_session(await launch(client, SANDBOX, FRUITS))

        async def bet() -> tuple[int, int]:
            async with in_flight:
                reply = await provider.transaction("bet", {
                    "token": table["token"], "user": table["user"], "game_code": FRUITS,
                    "round": unique("r"), "transaction_uuid": unique("t"), "currency": "EUR",
                    "amount": 40, "round_closed": True,
                })  # fmt: skip
            return (40 if reply["status"] == "RS_OK" else 0), 0

        results = await asyncio.gather(
            *[session(100) for _ in range(6)], *[bet() for _ in range(400)]
        )
    finally:
        await provider.aclose()
    return sum(r[0] for r in results), sum(r[1] for r in results)


async def test_a_thousand_concurrent_stakes_count_wagering_exactly_once(
    server: ServerProcess, client: CasinoClient
) -> None:
    gift = await define(server, kind="no_deposit", trigger="manual", amount=2_000, wagering=50,
                        weights={"slot": 100, "slots": 100})  # fmt: skip
    await deposit(client, 60_000)  # covers every stake: the bonus stays active throughout
    await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    staked, paid = await race(server, client)
    assert staked == 600 * 50 + 400 * 40
    assert (await bonus_page(client))["active"]["wagered"] == staked
    assert await wallet(server, client) == (60_000 - staked + paid, 2_000)


async def test_a_thousand_concurrent_stakes_never_overdraw_cash_or_bonus(
    server: ServerProcess, client: CasinoClient
) -> None:
    gift = await define(server, kind="no_deposit", trigger="manual", amount=3_000, wagering=50,
                        weights={"slot": 100, "slots": 100})  # fmt: skip
    await deposit(client, 2_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    staked, paid = await race(server, client)
    cash, bonus = await wallet(server, client)
    assert cash >= 0 and bonus >= 0
    assert cash + bonus == 2_000 + 3_000 - staked + paid
    assert 0 < staked < 600 * 50 + 400 * 40  # some were refused: the funds ran out


async def test_free_spins_take_nothing_from_cash_and_their_wins_become_wagered_bonus(
    server: ServerProcess, client: CasinoClient
) -> None:
    spins_offer = await define(server, kind="free_spins", trigger="manual", game=SLOT, spins=5,
                               spin_stake=100, wagering=10)  # fmt: skip
    await deposit(client, 1_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": spins_offer})
    page = await bonus_page(client)
    assert page["active"]["free_spins"] == {"left": 5, "game": SLOT, "stake": 100}
    paid = await spins(client, 105, 1)  # another stake is an ordinary spin, paid from cash
    assert await wallet(server, client) == (1_000 - 105 + paid[0]["payout"], 0)
    cash, _ = await wallet(server, client)
    free = await spins(client, 100, 5)
    won = sum(spin["payout"] for spin in free)
    assert await wallet(server, client) == (cash, won)
    page = await bonus_page(client)
    if won:
        assert (page["active"]["required"], page["active"]["free_spins"]["left"]) == (10 * won, 0)
    else:
        # Nothing won: the wagering asked of the winnings (10 x 0) is complete, and the
        # award ends converted, with nothing to convert.
        assert page["active"] is None and page["awards"][0]["outcome"] == "converted"


async def test_loyalty_points_follow_weighted_stakes_and_redeem_for_cash(
    server: ServerProcess, client: CasinoClient
) -> None:
    programme = await define(server, kind="loyalty", trigger="manual", redeem_rate=10,
                             weights={"slot": 100, "table": 20})  # fmt: skip
    await deposit(client, 5_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": programme})
    await spins(client, 100, 4)
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        bets = [{"type": "red", "amount": 500}]
        played = await sock.request(
            "play", game="european-roulette", stake=500, options={"bets": bets}
        )
        assert played["type"] == "round", played
    expected = 4 * 100 + 500 * 20 // 100
    for _ in range(100):  # the loyalty group reads the event stream: a bounded wait
        if (await bonus_page(client))["loyalty_points"] == expected:
            break
        await asyncio.sleep(0.05)
    assert (await bonus_page(client))["loyalty_points"] == expected
    cash, _ = await wallet(server, client)
    redeemed = await client.call("POST", "/api/bonus/loyalty/redeem", {"points": 205})
    assert (redeemed["granted"], redeemed["loyalty_points"]) == (20, expected - 200)
    assert await wallet(server, client) == (cash + 20, 0)


async def test_the_terminal_client_shows_bonus_money_apart_and_the_wagering(
    server: ServerProcess, client: CasinoClient
) -> None:
    gift = await define(server, kind="welcome", trigger="manual", amount=1_500, wagering=4,
                        max_stake=300)  # fmt: skip
    await deposit(client, 2_000)
    await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    await spins(client, 100, 2)
    lines = bonus_lines(await bonus_page(client), "EUR")
    assert lines[0] == "bonus money (not withdrawable): 15.00 EUR"
    assert lines[2:4] == ["wagering: 2.00 EUR of 60.00 EUR", "maximum stake: 3.00 EUR"]
    assert lines[4].startswith("expires: ")


async def test_the_uk_profile_refuses_a_gb_promotion_over_10x_wagering(
    server: ServerProcess,
) -> None:
    with pytest.raises(ApiFailure) as refused:
        await define(server, kind="welcome", trigger="manual", amount=1_000, wagering=11,
                     countries=["GB"])  # fmt: skip
    assert (refused.value.status, refused.value.code) == (422, "VALIDATION_FAILED")


async def test_a_provider_bet_of_all_the_bonus_keeps_it_active_until_its_win_arrives(
    server: ServerProcess,
) -> None:
    gift = await define(server, kind="no_deposit", trigger="manual", amount=1_000, wagering=10,
                        weights={"slots": 100})  # fmt: skip
    table = await seat(server, deposit=0)
    try:
        await table.player.call("POST", "/api/bonus/claim", {"definition_id": gift})
        bet_body = table.body(currency="EUR", amount=1_000)
        assert (await table.send("bet", bet_body))["status"] == "RS_OK"
        assert await wallet(server, table.player) == (0, 0)
        assert (await bonus_page(table.player))["active"]["wagered"] == 1_000
        won = await table.win(bet_body["transaction_uuid"], 2_500, round_closed=True)
        assert won["status"] == "RS_OK"
        assert await wallet(server, table.player) == (0, 2_500)  # the win came back as bonus
        page = await bonus_page(table.player)
        assert (page["active"]["wagered"], page["active"]["required"]) == (1_000, 10_000)
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()


async def test_a_counted_stake_comes_back_with_the_wagering_progress_in_its_reply(
    server: ServerProcess, client: CasinoClient
) -> None:
    gift = await define(server, kind="welcome", trigger="manual", amount=1_000, wagering=5,
                        weights={"slot": 100, "european-roulette": 10})  # fmt: skip
    await deposit(client, 2_000)
    claimed = await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        spun = await sock.spin(SLOT, 100)
        bets = [{"type": "red", "amount": 500}]
        played = await sock.request(
            "play", game="european-roulette", stake=500, options={"bets": bets}
        )
        heard = sock.pushes  # what arrived unasked while the replies came
    award = claimed["award_id"]
    assert (spun["bonus_progress"], played["bonus_progress"]) == (
        {"award": award, "wagered": 100, "required": 5_000},
        {"award": award, "wagered": 150, "required": 5_000},
    )
    assert [m for m in heard if m["type"] == "bonus_progress"] == []


async def test_a_counted_stake_pushes_the_wagering_progress_to_the_players_other_session(
    server: ServerProcess, client: CasinoClient
) -> None:
    gift = await define(server, kind="welcome", trigger="manual", amount=1_000, wagering=5,
                        weights={"slot": 100})  # fmt: skip
    await deposit(client, 2_000)
    claimed = await client.call("POST", "/api/bonus/claim", {"definition_id": gift})
    assert client.token is not None
    async with client.socket() as playing, client.socket() as watching:
        await playing.hello(client.token)
        await watching.hello(client.token)
        await playing.spin(SLOT, 100)
        await playing.spin(SLOT, 150)
        heard: list[dict[str, Any]] = []
        while len(heard) < 2:
            pushed = await watching.next_push()
            if pushed["type"] == "bonus_progress":
                heard.append(pushed)
    award = claimed["award_id"]
    assert heard == [
        {"type": "bonus_progress", "award": award, "wagered": 100, "required": 5_000,
         "currency": "EUR"},
        {"type": "bonus_progress", "award": award, "wagered": 250, "required": 5_000,
         "currency": "EUR"},
    ]  # fmt: skip


async def test_a_spin_that_counts_towards_no_bonus_carries_no_progress(
    server: ServerProcess, client: CasinoClient
) -> None:
    await deposit(client, 2_000)
    assert client.token is not None
    async with client.socket() as sock:
        await sock.hello(client.token)
        assert (await sock.spin(SLOT, 100))["bonus_progress"] is None


async def test_a_rolled_back_provider_bet_takes_back_exactly_what_it_counted(
    server: ServerProcess,
) -> None:
    gift = await define(server, kind="no_deposit", trigger="manual", amount=1_000, wagering=10,
                        weights={"slots": 40})  # fmt: skip
    table = await seat(server, deposit=0)
    try:
        await table.player.call("POST", "/api/bonus/claim", {"definition_id": gift})
        assert (await table.bet(400))["status"] == "RS_OK"
        second = table.body(currency="EUR", amount=250)
        assert (await table.send("bet", second))["status"] == "RS_OK"
        page = await bonus_page(table.player)
        assert (page["active"]["wagered"], await wallet(server, table.player)) == (260, (0, 350))
        undone = await table.rollback(second["transaction_uuid"])
        assert undone["status"] == "RS_OK"
        page = await bonus_page(table.player)
        assert (page["active"]["wagered"], await wallet(server, table.player)) == (160, (0, 600))
        again = await table.rollback(second["transaction_uuid"])  # a new rollback id: no more
        assert again["status"] == "RS_OK"
        assert (await bonus_page(table.player))["active"]["wagered"] == 160
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()


async def test_cashback_counts_the_net_loss_on_provider_games(server: ServerProcess) -> None:
    back = await define(server, kind="cashback", trigger="manual", percent=10, wagering=0)
    table = await seat(server, deposit=5_000)
    try:
        await table.player.call("POST", "/api/bonus/claim", {"definition_id": back})
        first = table.body(currency="EUR", amount=1_000)
        assert (await table.send("bet", first))["status"] == "RS_OK"
        assert (await table.win(first["transaction_uuid"], 300))["status"] == "RS_OK"
        undone = table.body(currency="EUR", amount=500)
        assert (await table.send("bet", undone))["status"] == "RS_OK"
        assert (await table.rollback(undone["transaction_uuid"]))["status"] == "RS_OK"
        assert (await table.bet(200))["status"] == "RS_OK"
        report = await settled_report(server)  # durable before cashback reads them
        assert report.stream_backlog == 0
        cash, _ = await wallet(server, table.player)
        async with CasinoClient(server.base_url) as staff:
            paid = await staff.call(
                "POST", "/api/staff/bonus/cashback",
                {"definition_id": back, "player_id": int(table.user), "since": 0,
                 "until": 2**62},
                headers={"Authorization": f"Bearer {STAFF}"},
            )  # fmt: skip
        assert paid["paid"] == (1_000 - 300 + 500 - 500 + 200) * 10 // 100  # 90
        assert await wallet(server, table.player) == (cash + 90, 0)
    finally:
        await table.provider.aclose()
        await table.player.http.aclose()
