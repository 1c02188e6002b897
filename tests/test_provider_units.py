"""The provider domain's pure parts, without a server: signatures and the replay window,
request decoding, the bet rules, and the status table against the docs and OpenAPI."""

from __future__ import annotations

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from server import docs_site
from server.accounts.service import Player
from server.money import stake_rules
from server.provider import rules, signatures
from server.provider.catalogue import ProviderGame
from server.provider.messages import BetRequest, Malformed, UserInfoRequest, decode
from server.provider.openapi import document
from server.provider.rules import BetAttempt, refuse_bet
from server.provider.status import DESCRIPTIONS, Status

README = docs_site.provider_statuses()  # the table docs/providers/statuses.md shows
BODY = b'{"request_uuid":"r","token":"0123456789"}'


def test_hmac_signs_timestamp_and_body_together() -> None:
    signature = signatures.hmac_sign("secret", "1700000000", BODY)
    assert signatures.hmac_verify("secret", "1700000000", BODY, signature)
    assert not signatures.hmac_verify("secret", "1700000001", BODY, signature)
    assert not signatures.hmac_verify("secret", "1700000000", BODY + b" ", signature)
    assert not signatures.hmac_verify("other", "1700000000", BODY, signature)
    assert not signatures.hmac_verify("secret", "1700000000", BODY, "ünïcode")


def test_rsa_signs_with_the_private_key_and_verifies_with_the_public_one() -> None:
    private_pem, public_pem = signatures.new_rsa_key_pair()
    key = signatures.load_private_key(private_pem)
    signature = signatures.rsa_sign(key, "1700000000", BODY)
    assert signatures.rsa_verify(public_pem, "1700000000", BODY, signature)
    assert not signatures.rsa_verify(public_pem, "1700000000", BODY + b"x", signature)
    assert not signatures.rsa_verify(public_pem, "1700000000", BODY, "not base64!")
    assert not signatures.rsa_verify(public_pem, "1700000000", BODY, "A" * 5000)


def test_a_short_rsa_key_is_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="2048"):
        signatures.load_public_key(signatures.public_pem(weak.public_key()))


@pytest.mark.parametrize(
    ("timestamp", "fresh"),
    [("1000", True), ("700", True), ("1300", True), ("699", False), ("1301", False),
     ("", False), ("-5", False), ("1e3", False), ("0x10", False), ("9" * 13, False)],
)  # fmt: skip
def test_the_replay_window(timestamp: str, fresh: bool) -> None:
    assert signatures.timestamp_is_fresh(timestamp, now_s=1000, window_s=300) is fresh


def test_requests_decode_strictly() -> None:
    info = decode(BODY, UserInfoRequest)
    assert (info.request_uuid, info.token, info.user) == ("r", "0123456789", None)
    bet = msgspec.json.encode(
        {"request_uuid": "r", "token": "0123456789", "user": "7", "transaction_uuid": "t",
         "round": "x", "game_code": "g", "currency": "EUR", "amount": 5, "meta": {"a": 1}}
    )  # fmt: skip
    assert decode(bet, BetRequest).amount == 5
    for bad, status in [
        (bet.replace(b'"EUR"', b'"eur"'), Status.WRONG_TYPES),
        (bet.replace(b'"t"', b'"has space"'), Status.WRONG_TYPES),
        (bet.replace(b'"7"', b'"seven"'), Status.WRONG_TYPES),
        (bet.replace(b'"round":"x",', b""), Status.WRONG_SYNTAX),
        (b"{", Status.WRONG_SYNTAX),
    ]:
        with pytest.raises(Malformed) as caught:
            decode(bad, BetRequest)
        assert caught.value.status is status, bad


@pytest.mark.parametrize(
    "extra",
    [{"round": "x\x00"}, {"supplier_user": "a\x00b"}, {"meta": {"note": ["\x00"]}},
     {"meta": {"\x00": 1}}, {"ignored": "\x00"}],
    ids=["identifier", "supplier-extra", "meta-value", "meta-key", "ignored-field"],
)  # fmt: skip
def test_a_nul_in_any_text_of_a_body_is_the_wrong_type(extra: dict[str, object]) -> None:
    bet = {"request_uuid": "r", "token": "0123456789", "user": "7", "transaction_uuid": "t",
           "round": "x", "game_code": "g", "currency": "EUR", "amount": 5}  # fmt: skip
    with pytest.raises(Malformed) as caught:
        decode(msgspec.json.encode({**bet, **extra}), BetRequest)
    assert (caught.value.status, caught.value.request_uuid) == (Status.WRONG_TYPES, "r")


@pytest.mark.parametrize("field", ["token", "user", "transaction_uuid", "round", "currency"])
def test_an_identifier_ending_in_a_newline_is_the_wrong_type(field: str) -> None:
    # Python's `$` also matches before a last newline: "EUR\n" must not pass for "EUR".
    bet: dict[str, object] = {
        "request_uuid": "r",
        "token": "0123456789",
        "user": "7",
        "transaction_uuid": "t",
        "round": "x",
        "game_code": "g",
        "currency": "EUR",
        "amount": 5,
    }
    bet[field] = f"{bet[field]}\n"
    with pytest.raises(Malformed) as caught:
        decode(msgspec.json.encode(bet), BetRequest)
    assert (caught.value.status, caught.value.request_uuid) == (Status.WRONG_TYPES, "r")


@pytest.fixture
def nothing_plugged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the rules these modules define: a server wired earlier in this process plugged
    its own (responsible gambling, bonuses), which need that server's database."""
    monkeypatch.setattr(rules, "PLUGGED", {})
    monkeypatch.setattr(stake_rules, "PLUGGED", {})


def _attempt(amount: int, status: str = "active", is_free: bool = False) -> BetAttempt:
    player = Player(1, "p", "p@example.com", "EUR", "DE", status)
    game = ProviderGame("sandbox", "g", "G", ("slots",), 96_000, 10, 1_000, True)
    return BetAttempt(player, game, amount, "EUR", is_free)


@pytest.mark.usefixtures("nothing_plugged")
async def test_the_bet_rules_refuse_in_order() -> None:
    assert await refuse_bet(_attempt(1_000)) is None
    assert await refuse_bet(_attempt(1_001)) is Status.LIMIT_REACHED
    assert await refuse_bet(_attempt(0, is_free=True)) is None
    assert await refuse_bet(_attempt(5_000, is_free=True)) is Status.LIMIT_REACHED
    assert await refuse_bet(_attempt(1_001, status="disabled")) is Status.USER_DISABLED


async def test_a_new_rule_plugs_into_the_seam() -> None:
    async def self_excluded(attempt: BetAttempt) -> Status | None:
        return Status.LIMIT_REACHED if attempt.player.id == 1 else None

    assert await refuse_bet(_attempt(10), rules=(self_excluded,)) is Status.LIMIT_REACHED


def test_every_status_is_described_in_the_readme_and_the_openapi_document() -> None:
    assert set(DESCRIPTIONS) == set(Status)
    assert [s for s in Status if f"| `{s}` | {DESCRIPTIONS[s]} |" not in README] == []
    assert set(document()["x-status-codes"]) == {str(s) for s in Status}


def test_the_rtp_of_a_provider_game_is_exact() -> None:
    game = ProviderGame("p", "g", "G", (), 96_050, 1, 2, True)
    assert game.rtp == "96.050"
