"""What a jurisdiction and the rate limits hold, on a server of this module's own: no
withdrawal before the email is verified (in the countries configured), and reset and
verification emails limited per account and per address, the same for a name that
matches no account."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from clients.api import CasinoClient
from server.storage.redis_child import RedisChild, free_port
from tests.conftest import ServerProcess, settled_report, start_server, stop_server, unique
from tests.support.accounts import auth, link_token, mail, register, token_of
from tests.support.kyc import verify_identity
from tests.support.payments import Gateway

PER_ACCOUNT = 2
PER_ADDRESS = 4


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("strict")
    redis = RedisChild(workdir / "redis")
    redis.start()
    gateway = Gateway(free_port(), workdir / "gateway.db", workdir / "gateway.log")
    gateway.start()
    env = {
        "CASINO_PAYMENT_GATEWAY_URL": gateway.url,
        "CASINO_VERIFIED_EMAIL_FOR_WITHDRAWAL": "DE",
        "CASINO_ACCOUNT_MAILS_PER_HOUR": str(PER_ACCOUNT),
        "CASINO_ACCOUNT_MAILS_PER_ADDRESS": str(PER_ADDRESS),
        # Each test asks from an address of its own, named in X-Forwarded-For.
        "CASINO_TRUSTED_PROXIES": "127.0.0.1",
    }
    try:
        server = start_server(workdir, redis, env)
    except BaseException:
        gateway.stop()
        redis.stop()
        raise
    yield server
    stop_server(server)
    gateway.stop()
    redis.stop()


@pytest.fixture
async def http(strict: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    address = f"10.{free_port() % 250}.{free_port() % 250}.{free_port() % 250}"
    headers = {"X-Forwarded-For": address}
    async with httpx.AsyncClient(base_url=strict.base_url, timeout=20, headers=headers) as client:
        yield client
    report = await settled_report(strict)
    assert report.ok, "\n".join(report.lines())


async def identity_verified(http: httpx.AsyncClient, token: str) -> None:
    """KYC level 1, which any withdrawal (and a deposit in GB) needs; this module's subject
    is the email rule."""
    async with CasinoClient(str(http.base_url)) as client:
        client.token = token
        await verify_identity(client)


async def deposit_then_withdraw(http: httpx.AsyncClient, token: str) -> httpx.Response:
    deposit = await http.post(
        "/api/payments/deposits", json={"amount": 5_000},
        headers={**auth(token), "Idempotency-Key": unique("d-")},
    )  # fmt: skip
    assert deposit.status_code in (201, 202), deposit.text
    return await http.post(
        "/api/payments/withdrawals", json={"amount": 2_000},
        headers={**auth(token), "Idempotency-Key": unique("w-")},
    )  # fmt: skip


async def test_an_unverified_player_deposits_but_may_not_withdraw(
    http: httpx.AsyncClient,
) -> None:
    name, _ = await register(http, country="DE")
    token = await token_of(http, name)
    reply = await deposit_then_withdraw(http, token)
    error = reply.json()["error"]
    assert (reply.status_code, error["code"], error["reason"]) == (
        409, "WITHDRAWAL_REFUSED", "email_not_verified",
    )  # fmt: skip
    wallet = await http.get("/api/wallet", headers=auth(token))
    assert wallet.json()["balance"] == 5_000


async def test_a_verified_player_withdraws(http: httpx.AsyncClient) -> None:
    name, email = await register(http, country="DE")
    token_link = link_token(await mail(http, email, "Confirm your email"), "verify")
    assert (await http.post("/api/email-verifications", json={"token": token_link})).is_success
    token = await token_of(http, name)
    await identity_verified(http, token)
    reply = await deposit_then_withdraw(http, token)
    assert reply.status_code in (201, 202), reply.text


async def test_a_jurisdiction_not_configured_withdraws_unverified(
    http: httpx.AsyncClient,
) -> None:
    name, _ = await register(http, country="GB")
    token = await token_of(http, name)
    await identity_verified(http, token)  # KYC's own rule: the email is what is not asked
    reply = await deposit_then_withdraw(http, token)
    assert reply.status_code in (201, 202), reply.text


async def test_resets_of_one_account_are_limited(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    for _ in range(PER_ACCOUNT):
        assert (await http.post("/api/password-resets", json={"login": name})).status_code == 202
    reply = await http.post("/api/password-resets", json={"login": name})
    assert (reply.status_code, reply.json()["error"]["code"]) == (429, "TOO_MANY_REQUESTS")
    assert int(reply.headers["Retry-After"]) > 0


async def test_resets_of_a_name_with_no_account_are_limited_alike(
    http: httpx.AsyncClient,
) -> None:
    nobody = unique("nobody_")
    for _ in range(PER_ACCOUNT):
        assert (await http.post("/api/password-resets", json={"login": nobody})).status_code == 202
    reply = await http.post("/api/password-resets", json={"login": nobody})
    assert (reply.status_code, reply.json()["error"]["code"]) == (429, "TOO_MANY_REQUESTS")


async def test_resets_from_one_address_are_limited_across_names(
    http: httpx.AsyncClient, strict: ServerProcess
) -> None:
    for _ in range(PER_ADDRESS):
        reply = await http.post("/api/password-resets", json={"login": unique("n_")})
        assert reply.status_code == 202
    refused = await http.post("/api/password-resets", json={"login": unique("n_")})
    assert refused.json()["error"]["code"] == "TOO_MANY_REQUESTS"
    async with httpx.AsyncClient(
        base_url=strict.base_url, headers={"X-Forwarded-For": "10.255.255.1"}
    ) as elsewhere:
        other = await elsewhere.post("/api/password-resets", json={"login": unique("n_")})
    assert other.status_code == 202


async def test_resending_the_verification_is_limited(http: httpx.AsyncClient) -> None:
    name, _ = await register(http)
    token = await token_of(http, name)
    for _ in range(PER_ACCOUNT):
        resend = await http.post("/api/me/email-verification", headers=auth(token))
        assert resend.status_code == 202
    reply = await http.post("/api/me/email-verification", headers=auth(token))
    assert (reply.status_code, reply.json()["error"]["code"]) == (429, "TOO_MANY_REQUESTS")
