"""The pure parts of KYC: levels per jurisdiction, the automated decisions, verdicts, the
webhook's signature and format, documents' encryption; and `run.py serve` starting the sandbox
vendor on its own, as it does the payment gateway."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import date
from pathlib import Path

import msgspec
import pytest

import rng
from server.config import ConfigError, Mode, Settings
from server.kyc import auto, levels, vault, vendor
from server.kyc.review import (
    Answer,
    Decision,
    IllegalReview,
    RejectType,
    State,
    Status,
    Verdict,
    after_upload,
    after_verdict,
    staff_verdict,
)
from server.mode import live_refusals
from tests.support.modes import live_settings_env
from tests.support.payments import player
from tests.test_payments_serve import embedded

__all__ = ["embedded"]  # the fixture, used by name below

TODAY = date(2026, 12, 7)


# -- levels per jurisdiction --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("country", "action", "amount", "level"),
    [
        ("DE", "withdraw", 1, 1),
        ("DE", "deposit", 200_000, 0),
        ("DE", "deposit", 200_001, 2),
        ("GB", "deposit", 1, 1),
        ("GB", "deposit", 500_000, 2),
        ("SE", "withdraw", 1, 1),
        ("ZZ", "deposit", 100, 0),  # no row: the default
    ],
)
def test_the_level_an_action_needs_comes_from_the_players_jurisdiction(
    country: str, action: str, amount: int, level: int
) -> None:
    assert levels.required_level(country, action, amount) == level


def test_a_country_without_a_row_follows_the_default() -> None:
    assert levels.jurisdiction("ZZ") is levels.JURISDICTIONS[levels.DEFAULT]


def test_the_kyc_screen_is_told_what_is_needed_and_why() -> None:
    assert levels.needs("GB") == [
        {"action": "withdraw", "level": 1, "why": "any withdrawal"},
        {"action": "deposit", "level": 2, "above": 200_000, "why": "a deposit above 2000.00"},
        {"action": "deposit", "level": 1, "why": "any deposit"},
    ]


# -- automated decisions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("born", "age"), [(date(2008, 12, 7), 18), (date(2008, 12, 8), 17), (date(2000, 2, 29), 26)]
)
def test_age_counts_whole_years_to_the_birthday(born: date, age: int) -> None:
    assert auto.age_on(born, TODAY) == age


def test_a_player_under_eighteen_is_red_final() -> None:
    verdict = auto.decide("DE", date(2008, 12, 8), TODAY, "id")
    assert verdict == Verdict(
        Answer.RED, 1, "auto:age", RejectType.FINAL, ("UNDERAGE",),
        "Players must be 18 or older in your country.",
    )  # fmt: skip


def test_a_blocked_country_is_red_final_whatever_the_age() -> None:
    verdict = auto.decide("KP", date(1980, 1, 1), TODAY, "id")
    assert verdict is not None
    assert (verdict.actor, verdict.reject_type, verdict.labels) == (
        "auto:country", RejectType.FINAL, ("BLOCKED_COUNTRY",),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("account", "holder", "match"),
    [
        ("Ada Lovelace", "ADA LOVELACE", True),
        ("Ada Lovelace", "Lovelace, Ada", True),
        ("Zoë Brontë", "Zoe Bronte", True),
        ("Ada Lovelace", "Ada Byron", False),
        ("", "", False),
    ],
)
def test_a_payment_method_name_matches_the_account_name_by_words(
    account: str, holder: str, match: bool
) -> None:
    assert auto.names_match(account, holder) is match


def test_a_payment_method_in_another_name_is_red_retry() -> None:
    verdict = auto.decide("DE", date(1980, 1, 1), TODAY, "payment", "Ada Lovelace", "C Babbage")
    assert verdict is not None
    assert (verdict.level, verdict.reject_type, verdict.labels) == (
        2, RejectType.RETRY, ("PAYMENT_NAME_MISMATCH",),
    )  # fmt: skip


def test_an_adult_of_a_served_country_is_left_to_the_vendor() -> None:
    assert auto.decide("DE", date(1980, 1, 1), TODAY, "id") is None


# -- verdicts -----------------------------------------------------------------------------------
def test_green_raises_the_level_and_never_lowers_it() -> None:
    green = Verdict(Answer.GREEN, 1, "vendor")
    assert after_verdict(State(Status.PENDING, 0), green) == State(Status.VERIFIED, 1)
    assert after_verdict(State(Status.PENDING, 2), green) == State(Status.VERIFIED, 2)


def test_red_on_identity_after_green_revokes_the_level() -> None:
    red = Verdict(Answer.RED, 1, "vendor", RejectType.FINAL)
    assert after_verdict(State(Status.VERIFIED, 1), red) == State(
        Status.REJECTED, 0, RejectType.FINAL
    )


def test_red_on_address_keeps_the_identity_level() -> None:
    red = Verdict(Answer.RED, 2, "vendor", RejectType.RETRY)
    assert after_verdict(State(Status.PENDING, 1), red).level == 1


def test_an_address_document_of_a_verified_player_goes_to_review() -> None:
    assert after_upload(Status.VERIFIED, raises_level=True) is Status.PENDING


def test_staff_asking_for_more_is_a_retry_with_the_reason_for_the_player() -> None:
    verdict = staff_verdict(Status.PENDING, 0, Decision.MORE, "staff", "add the back side")
    assert (verdict.answer, verdict.reject_type, verdict.message) == (
        Answer.RED, RejectType.RETRY, "add the back side",
    )  # fmt: skip


def test_staff_cannot_decide_on_a_player_who_is_not_pending() -> None:
    with pytest.raises(IllegalReview):
        staff_verdict(Status.VERIFIED, 1, Decision.APPROVE, "staff", "")


# -- the webhook's signature and format ---------------------------------------------------------
BODY = msgspec.json.encode(
    {"eventId": "evt_1", "type": "applicantReviewed", "applicantId": "app_1", "level": 1,
     "reviewSeq": 2, "reviewResult": {"reviewAnswer": "RED", "reviewRejectType": "RETRY",
                                      "rejectLabels": ["BAD_QUALITY"], "moderationComment": "m"}}
)  # fmt: skip


def test_a_webhook_signed_over_its_raw_bytes_is_accepted_and_parsed() -> None:
    vendor.verify("s3cret", BODY, vendor.sign("s3cret", BODY))
    assert vendor.parse(BODY) == vendor.Review(
        "evt_1", "app_1", 2,
        Verdict(Answer.RED, 1, "vendor", RejectType.RETRY, ("BAD_QUALITY",), "m"),
    )  # fmt: skip


def test_a_signature_over_reencoded_json_is_refused() -> None:
    reencoded = msgspec.json.encode(msgspec.json.decode(BODY)) + b" "
    with pytest.raises(vendor.BadWebhook, match="does not match"):
        vendor.verify("s3cret", reencoded, vendor.sign("s3cret", BODY))


def test_without_a_configured_secret_every_webhook_is_refused() -> None:
    with pytest.raises(vendor.BadWebhook, match="no webhook secret"):
        vendor.verify("", BODY, vendor.sign("", BODY))


def test_a_red_answer_without_its_type_is_not_a_review() -> None:
    body = BODY.replace(b'"RETRY"', b'""')
    with pytest.raises(vendor.BadWebhook, match="without FINAL or RETRY"):
        vendor.parse(body)


# -- documents at rest --------------------------------------------------------------------------
KEY = rng.randbytes(32)


def test_a_sealed_document_holds_no_plaintext_and_opens_to_it() -> None:
    plaintext = b"%PDF-1.7 passport of Ada Lovelace"
    sealed = vault.seal(KEY, "name1", plaintext)
    digest = hashlib.sha256(plaintext).hexdigest()
    assert b"Ada Lovelace" not in sealed
    assert vault.open_document(KEY, "name1", sealed, digest, encrypted=True) == plaintext


def test_a_sealed_document_under_another_name_does_not_open() -> None:
    plaintext = b"%PDF-1.7 x"
    sealed = vault.seal(KEY, "name1", plaintext)
    with pytest.raises(vault.DocumentCorrupt, match="does not decrypt"):
        vault.open_document(KEY, "name2", sealed, hashlib.sha256(plaintext).hexdigest(), True)


def test_a_plaintext_file_from_before_encryption_still_reads_by_its_hash() -> None:
    plaintext = b"%PDF-1.7 old"
    digest = hashlib.sha256(plaintext).hexdigest()
    assert vault.open_document(KEY, "old", plaintext, digest, encrypted=False) == plaintext
    with pytest.raises(vault.DocumentCorrupt, match="does not match its hash"):
        vault.open_document(KEY, "old", plaintext + b"!", digest, encrypted=False)


def test_a_sandbox_server_generates_one_key_per_data_directory(tmp_path: Path) -> None:
    settings = Settings.from_env({"CASINO_DATA_DIR": str(tmp_path)})
    first = vault.key_for(settings)
    assert len(first) == 32 and (tmp_path / "kyc.key").stat().st_mode & 0o777 == 0o600
    vault._KEYS.clear()
    assert vault.key_for(settings) == first


def test_a_live_server_without_a_kyc_key_refuses_to_start(tmp_path: Path) -> None:
    env = {**live_settings_env(), "CASINO_DATA_DIR": str(tmp_path), "CASINO_KYC_KEY": ""}
    settings = Settings.from_env(env)
    assert settings.mode is Mode.LIVE
    assert [r.name for r in live_refusals(settings, False)] == ["kyc-key-missing"]
    with pytest.raises(ConfigError, match="required in live mode"):
        vault.key_for(settings)


def test_a_configured_key_must_be_32_bytes() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        vault.parse_key(base64.urlsafe_b64encode(b"short").decode())


# -- run.py serve -------------------------------------------------------------------------------
async def test_serve_without_configuration_starts_the_sandbox_kyc_vendor(
    embedded: str, tmp_path: Path
) -> None:
    pdf = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
    async with await player(embedded) as client:
        response = await client.http.post(
            "/api/kyc/documents", params={"kind": "id", "filename": "passport.pdf"},
            content=pdf, headers={"Authorization": f"Bearer {client.token}"},
        )  # fmt: skip
        assert response.status_code == 201
        for _ in range(200):
            found = await client.call("GET", "/api/kyc/status")
            if found["kyc_status"] == "verified":
                break
            await asyncio.sleep(0.05)
    assert (found["kyc_status"], found["level"]) == ("verified", 1)
    assert (tmp_path / "kyc.key").exists()
