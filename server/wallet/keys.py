"""Redis key names of the wallet. Player keys share the `{p:ID}` hash tag so every
script touching one player stays in one Redis Cluster slot."""

from __future__ import annotations

ROUNDS_STREAM = "casino:rounds"
RESERVATIONS_DUE = "casino:reservations:due"


def wallet(player_id: int, currency: str) -> str:
    return f"{{p:{player_id}}}:wallet:{currency}"


def reservation(player_id: int, round_id: str) -> str:
    return f"{{p:{player_id}}}:resv:{round_id}"


def fair_seed(player_id: int) -> str:
    return f"{{p:{player_id}}}:fair"


def open_rounds(player_id: int) -> str:
    """Hash of game id -> round id of the player's unfinished multi-step rounds."""
    return f"{{p:{player_id}}}:open"


def applied_credit(player_id: int, transfer_key: str) -> str:
    return f"{{p:{player_id}}}:applied:{transfer_key}"


def due_member(player_id: int, currency: str, round_id: str) -> str:
    return f"{player_id}|{currency}|{round_id}"


def parse_due_member(member: str) -> tuple[int, str, str]:
    player_id, currency, round_id = member.split("|", 2)
    return int(player_id), currency, round_id
