"""The event catalogue: every kind encodes and decodes to itself, and what this code cannot
read is refused by name (an unknown kind, an unknown version, bytes that are no event)."""

from __future__ import annotations

from typing import Any

import pytest

from server.events import catalogue
from server.events.catalogue import (
    AccountClosed,
    AmlCaseClosed,
    AmlCaseOpened,
    BalanceAdjusted,
    BonusEnded,
    BonusGranted,
    BonusWagered,
    Chargeback,
    DebtRepaid,
    DepositCredited,
    Deposited,
    EmailVerified,
    Event,
    KycChanged,
    KycChangedV2,
    LimitChanged,
    LoggedIn,
    LoggedInV2,
    MalformedEvent,
    PasswordReset,
    PaymentMethodSaved,
    ProfileChanged,
    ProfileChangedV2,
    ProviderMovement,
    ProviderMovementV2,
    ProviderSessionsRevoked,
    RealityCheck,
    RegisterChecked,
    Registered,
    RiskAlerted,
    RoundBets,
    RoundSettled,
    RoundSettledV2,
    SelfExcluded,
    SessionEnded,
    StakeTaken,
    StatusChanged,
    TimedOut,
    TwoFactorChanged,
    UnknownEvent,
    Withdrawal,
    WithdrawalFunds,
)

HEAD: dict[str, Any] = {"player_id": 42, "at_ms": 1_700_000_000_123}

EVERY_KIND: list[Event] = [
    Registered(id="registered:42", **HEAD, country="DE", currency="EUR", address="10.0.0.1"),
    LoggedIn(id="login:a", **HEAD, address="10.0.0.1", user_agent="Firefox/140", outcome="ok"),
    Deposited(
        id="deposit:7", **HEAD, deposit_id=7, amount=10_000, currency="EUR", gateway="sandbox"
    ),
    DebtRepaid(id="debt_repaid:8", **HEAD, deposit_id=8, amount=3_000, currency="EUR", owed=0),
    Withdrawal(
        id="withdrawal:3:requested",
        **HEAD,
        payment_id=3,
        amount=2_500,
        currency="EUR",
        gateway="sandbox",
        status="requested",
    ),
    KycChanged(id="kyc:b", **HEAD, previous="unverified", status="pending"),
    KycChangedV2(
        id="kyc:v2",
        **HEAD,
        previous="pending",
        status="rejected",
        previous_level=1,
        level=0,
        actor="vendor",
        reject_type="FINAL",
        reason="FORGERY",
    ),
    StatusChanged(id="status:c", **HEAD, status="restricted", reason="fraud hold"),
    AmlCaseOpened(
        id="aml_case:5:opened", **HEAD, case_id=5, rule="cdd", action="flag", reason="EUR 2,000"
    ),
    AmlCaseClosed(
        id="aml_case:5:closed", **HEAD, case_id=5, rule="cdd", outcome="cleared", reason="ok"
    ),
    RegisterChecked(
        id="register:u1",
        **HEAD,
        stage="login",
        answer="excluded",
        reference="u1",
        address="10.0.0.1",
    ),
    LimitChanged(id="limit:d", **HEAD, limit="deposit_daily", amount=50_000, currency="EUR"),
    TimedOut(id="time_out:1", **HEAD, until_ms=1_700_086_400_000),
    SelfExcluded(id="self_excluded:1", **HEAD, until_ms=1_715_000_000_000),
    RealityCheck(
        id="reality_check:s1:1",
        **HEAD,
        elapsed_ms=1_800_000,
        net=-250,
        currency="EUR",
        acknowledged=False,
    ),
    StakeTaken(
        id="stake:r2:0",
        **HEAD,
        round_id="r2",
        game="blackjack",
        currency="EUR",
        amount=100,
        balance=900,
    ),
    RoundSettled(
        id="round:r1",
        **HEAD,
        round_id="r1",
        game="classic",
        currency="EUR",
        stake=100,
        win=250,
        balance=1_150,
    ),
    ProviderMovement(
        id="provider:p:t1",
        **HEAD,
        provider_id="p",
        transaction_id="t1",
        round_id="pr1",
        game="p-slot",
        action="bet",
        amount=100,
        currency="EUR",
        balance=1_050,
    ),
    RoundSettledV2(
        id="round:r3",
        **HEAD,
        round_id="r3",
        game="classic",
        currency="EUR",
        stake=100,
        win=400,
        balance=1_150,
        free=True,
    ),
    RoundBets(
        id="bets:r4",
        **HEAD,
        round_id="r4",
        game="european-roulette",
        currency="EUR",
        stake=200,
        stake_bonus=50,
        options={"bets": [{"type": "red", "amount": 100}, {"type": "black", "amount": 100}]},
    ),
    ProviderMovementV2(
        id="provider:p:t2",
        **HEAD,
        provider_id="p",
        transaction_id="t2",
        round_id="pr2",
        game="p-slot",
        action="bet",
        amount=100,
        currency="EUR",
        balance=1_150,
        free=True,
    ),
    DepositCredited(
        id="credited:deposit:7",
        **HEAD,
        transfer="deposit:7",
        amount=10_000,
        currency="EUR",
        balance=11_050,
    ),
    BalanceAdjusted(
        id="adjustment:4",
        **HEAD,
        adjustment_id=4,
        amount=-2_500,
        currency="EUR",
        balance=8_550,
    ),
    WithdrawalFunds(
        id="withdrawal:3:locked",
        **HEAD,
        payment_id=3,
        action="locked",
        amount=2_500,
        currency="EUR",
        balance=8_550,
    ),
    EmailVerified(id="email_verified:e", **HEAD),
    PasswordReset(id="password_reset:f", **HEAD, sessions_ended=2),
    TwoFactorChanged(id="two_factor:g", **HEAD, change="enabled"),
    ProfileChanged(id="profile:h", **HEAD, fields=["language"]),
    ProfileChangedV2(
        id="profile:h2",
        **HEAD,
        fields=["postal_address"],
        address_digest="ab12",
        street_digest="cd34",
    ),
    PaymentMethodSaved(
        id="payment_method:3",
        **HEAD,
        method_id=3,
        type="card",
        label="Card ending 4242",
        fingerprint="fp_0123",
    ),
    SessionEnded(id="session_ended:i", **HEAD, sessions_ended=1, reason="ended_by_player"),
    ProviderSessionsRevoked(
        id="provider_sessions_revoked:j",
        **HEAD,
        revoked=2,
        by="staff:7:ana",
        reason="account takeover suspected",
    ),
    AccountClosed(
        id="account_closed:42",
        **HEAD,
        currency="EUR",
        cash=7_500,
        bonus_forfeited=2_000,
        locked=1_000,
        payout="withdrawal",
        payment_id=31,
        by="staff:7:ana",
        reason="asked by the player",
    ),
    BonusGranted(
        id="bonus:5:grant",
        **HEAD,
        award=5,
        amount=5_000,
        to="bonus",
        currency="EUR",
        balance=8_550,
    ),
    BonusEnded(
        id="bonus:5:1",
        **HEAD,
        award=5,
        outcome="converted",
        to_cash=4_000,
        to_cost=1_000,
        currency="EUR",
        balance=12_550,
    ),
    BonusWagered(
        id="wagered:round:9f1c",
        **HEAD,
        award=5,
        counted=1_000,
        wagered=151_000,
        required=1_500_000,
        currency="EUR",
    ),
    Chargeback(
        id="chargeback:5",
        **HEAD,
        dispute_id=5,
        amount=5_000,
        taken=3_000,
        currency="EUR",
        balance=0,
    ),
    LoggedInV2(
        id="login:b",
        **HEAD,
        address="10.0.0.1",
        user_agent="Firefox/140",
        outcome="failed",
        device_id="d-1",
    ),
    RiskAlerted(
        id="risk_alert:9", **HEAD, alert_id=9, rule="rapid_betting", severity="high", action="flag"
    ),
]


def test_the_catalogue_lists_every_kind_once() -> None:
    # One sample per (kind, version) in EVERY_KIND: a new kind is added there, once.
    samples = [(catalogue.kind_of(event), event.version) for event in EVERY_KIND]
    assert sorted(samples) == sorted(set(samples)) == sorted(catalogue.DECODERS)
    assert {type(event) for event in EVERY_KIND} == set(catalogue.KINDS)


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda event: catalogue.kind_of(event))
def test_every_kind_decodes_to_the_event_it_encodes(event: Event) -> None:
    assert catalogue.decode(catalogue.encode(event)) == event


def test_an_encoded_event_names_its_kind_and_version() -> None:
    assert catalogue.encode(EVERY_KIND[2]) == (
        b'{"kind":"deposit","id":"deposit:7","player_id":42,"at_ms":1700000000123,"version":1,'
        b'"deposit_id":7,"amount":10000,"currency":"EUR","gateway":"sandbox"}'
    )


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(UnknownEvent) as refused:
        catalogue.decode(b'{"kind":"jackpot","version":1,"id":"x","player_id":1,"at_ms":1}')
    assert (refused.value.kind, refused.value.version) == ("jackpot", 1)
    assert str(refused.value).startswith(
        "event kind 'jackpot' is unknown (known: account_closed, aml_case_closed,"
        " aml_case_opened, balance_adjusted, bonus_ended"
    )


def test_an_unknown_version_of_a_known_kind_is_refused_by_name() -> None:
    data = catalogue.encode(EVERY_KIND[2]).replace(b'"version":1', b'"version":2')
    with pytest.raises(UnknownEvent) as refused:
        catalogue.decode(data)
    assert str(refused.value) == "version 2 of event 'deposit' is unknown (known: [1])"


def test_an_event_cannot_be_encoded_with_a_version_it_has_no_class_for() -> None:
    with pytest.raises(UnknownEvent):
        catalogue.encode(StatusChanged(id="s", **HEAD, status="active", reason="", version=3))


def test_bytes_that_are_no_event_are_malformed() -> None:
    with pytest.raises(MalformedEvent):
        catalogue.decode(b"not json")
    with pytest.raises(MalformedEvent):
        catalogue.decode(b'{"version":1}')  # no kind


def test_an_event_missing_a_field_of_its_kind_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="deposit_id"):
        catalogue.decode(
            b'{"kind":"deposit","version":1,"id":"d","player_id":1,"at_ms":1,'
            b'"amount":1,"currency":"EUR","gateway":"sandbox"}'
        )


def test_a_login_outcome_outside_ok_failed_locked_is_malformed() -> None:
    data = catalogue.encode(EVERY_KIND[1]).replace(b'"ok"', b'"maybe"')
    with pytest.raises(MalformedEvent):
        catalogue.decode(data)
