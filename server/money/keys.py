"""Redis key names of the wallet. Player keys share the `{p:ID}` hash tag so every
script touching one player stays in one Redis Cluster slot."""

from __future__ import annotations

ROUNDS_STREAM = "casino:rounds"
# Stream entries the database refused for their content, kept until an operator fixes them.
DEAD_LETTERS = "casino:rounds:dead"
RESERVATIONS_DUE = "casino:reservations:due"


def wallet(player_id: int, currency: str) -> str:
    return f"{{p:{player_id}}}:wallet:{currency}"


def reservation(player_id: int, round_id: str) -> str:
    return f"{{p:{player_id}}}:resv:{round_id}"


def done(player_id: int, round_id: str) -> str:
    """The record of a one-step round played in one script, kept briefly for retries."""
    return f"{{p:{player_id}}}:done:{round_id}"


def fair_seed(player_id: int) -> str:
    return f"{{p:{player_id}}}:fair"


def open_rounds(player_id: int) -> str:
    """Hash of game id -> round id of the player's unfinished multi-step rounds."""
    return f"{{p:{player_id}}}:open"


def applied_credit(player_id: int, transfer_key: str) -> str:
    return f"{{p:{player_id}}}:applied:{transfer_key}"


def withdrawal(player_id: int, payment_id: int) -> str:
    """Hash of one withdrawal's hot state: locked, then paid or returned (exactly once)."""
    return f"{{p:{player_id}}}:wd:{payment_id}"


def due_member(player_id: int, currency: str, round_id: str) -> str:
    return f"{player_id}|{currency}|{round_id}"


def parse_due_member(member: str) -> tuple[int, str, str]:
    player_id, currency, round_id = member.split("|", 2)
    return int(player_id), currency, round_id


# Provider seamless wallet (server/provider). Records live in the player's slot; the claim
# key is global on purpose: it is what tells two players' uses of one transaction id apart.
def provider_tx(player_id: int, provider_id: str, transaction_uuid: str) -> str:
    """Hash recording one provider transaction (bet, win, rollback or tombstone)."""
    return f"{{p:{player_id}}}:ptx:{provider_id}:{transaction_uuid}"


def provider_round(player_id: int, provider_id: str, round_id: str) -> str:
    """Hash of one provider round as this player played it: status and totals."""
    return f"{{p:{player_id}}}:pround:{provider_id}:{round_id}"


def provider_claim(provider_id: str, transaction_uuid: str) -> str:
    """Which player a provider transaction id belongs to (set once, never changed)."""
    return f"casino:ptxowner:{provider_id}:{transaction_uuid}"
