"""Free-bet campaigns awarded through a provider, and the rewards their free bets name.

Owns `provider_campaigns`. Aggregators (Hub88's freebet rewards) run free rounds this way: the
operator asks the provider to create a campaign for one player, game, number of rounds and
stake, the provider answers a `reward_uuid`, and each free bet of the campaign arrives flagged
`is_free` with that `reward_uuid`. Here a campaign is first an offer to one player (staff make
it; the bonus engine shows it and the player opts in); on acceptance `CampaignDesk.award` calls
the provider's `campaign_url`, signed over `CALL_DOMAIN` like the wallet API in the other
direction, and `awarded` records the reward in the bonus engine's transaction that creates the
award, so a campaign is offered or awarded, never half of it. A provider that fails leaves the
offer as it was: the campaign id is the provider's idempotency key, so accepting again is safe.
The money itself (the free rounds, their stake, their wagering) stays the bonus award's,
counted in the player's bonus hash by the money scripts; this module never moves money.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

import rng
from protocol.errors import ErrorCode, Refused
from server.provider import catalogue, registry
from server.provider.signatures import (
    PROVIDER_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Scheme,
    hmac_sign,
    load_private_key,
    rsa_sign,
)
from server.storage.database import Database, Row, Transaction, now_ms

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0
OPERATOR_ID = "casino"  # how our calls name us to a provider (X-Provider-Id)
OperatorKey = Callable[[], Awaitable[tuple[str, str]]]  # (private PEM, public PEM)


def _new_uuid() -> str:
    """A random (version 4) UUID from the project's CSPRNG: a campaign's id."""
    raw = bytearray(rng.randbytes(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class Reward:
    """An awarded campaign as a free bet naming its reward_uuid needs it."""

    campaign_uuid: str
    player_id: int
    award_id: int
    game_code: str
    stake: int


@dataclass(frozen=True, slots=True)
class Campaign:
    campaign_uuid: str
    provider_id: str
    player_id: int
    currency: str
    definition_id: int
    game_code: str
    rounds: int
    stake: int
    status: str  # offered or awarded
    reward_uuid: str | None
    award_id: int | None

    def public(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign_uuid, "provider": self.provider_id,
            "player_id": self.player_id, "currency": self.currency,
            "definition_id": self.definition_id, "game_code": self.game_code,
            "rounds": self.rounds, "stake": self.stake, "status": self.status,
            "reward_uuid": self.reward_uuid, "award_id": self.award_id,
        }  # fmt: skip


_CAMPAIGN = (
    "SELECT campaign_uuid, provider_id, player_id, currency, definition_id, game_code, rounds,"
    " stake, status, reward_uuid, award_id FROM provider_campaigns"
)


def _campaign(row: Row) -> Campaign:
    return Campaign(
        str(row[0]), str(row[1]), int(row[2]), str(row[3]), int(row[4]), str(row[5]),
        int(row[6]), int(row[7]), str(row[8]), None if row[9] is None else str(row[9]),
        None if row[10] is None else int(row[10]),
    )  # fmt: skip


async def reward(db: Database, provider_id: str, reward_uuid: str) -> Reward | None:
    """The awarded campaign behind a reward_uuid of this provider, or None (never awarded, or
    an offer the player has not accepted yet: no reward_uuid exists for it)."""
    row = await db.fetchone(
        "SELECT campaign_uuid, player_id, award_id, game_code, stake FROM provider_campaigns"
        " WHERE provider_id = ? AND reward_uuid = ? AND status = 'awarded'",
        (provider_id, reward_uuid),
    )
    if row is None or row[2] is None:
        return None
    return Reward(str(row[0]), int(row[1]), int(row[2]), str(row[3]), int(row[4]))


async def open_awards(db: Database, provider_id: str, player_id: int, game_code: str) -> list[int]:
    """The bonus awards of this player's campaigns on this provider game still to be played
    (queued or active). Their free rounds are played only by free bets naming the campaign's
    reward_uuid (Hub88 sends it with every campaign bet): a free bet naming none must not
    take one, as it may on free rounds granted without a campaign (a `free_spins` definition
    claimed directly), which match by game and stake."""
    rows = await db.fetchall(
        "SELECT c.award_id FROM provider_campaigns c JOIN bonus_awards a ON a.id = c.award_id"
        " WHERE c.provider_id = ? AND c.player_id = ? AND c.game_code = ?"
        " AND c.status = 'awarded' AND a.status IN ('queued', 'active')",
        (provider_id, player_id, game_code),
    )
    return [int(row[0]) for row in rows]


class CampaignDesk:
    """The provider domain's side of a campaign offer, plugged into the bonus engine's seam
    (`Bonuses.campaigns`) at wiring time."""

    def __init__(self, db: Database, operator_key: OperatorKey) -> None:
        self.db = db
        self.operator_key = operator_key

    async def checked(self, provider_id: str, game_code: str) -> None:
        """Refuse (VALIDATION_FAILED) a campaign on a provider that takes none, or a game it
        does not list."""
        provider = await registry.get(self.db, provider_id)
        if provider is None or not provider.active or not provider.campaign_url:
            raise Refused(
                ErrorCode.VALIDATION_FAILED, "the provider takes no campaigns", field="provider"
            )
        if await catalogue.get(self.db, provider_id, game_code) is None:
            raise Refused(ErrorCode.VALIDATION_FAILED, "the provider lists no such game",
                          field="game")  # fmt: skip

    async def offer(
        self, tx: Transaction, provider_id: str, player_id: int, currency: str,
        definition_id: int, game_code: str, rounds: int, stake: int,
    ) -> Campaign:  # fmt: skip
        """A new campaign offered to one player, in the caller's transaction."""
        campaign = Campaign(
            _new_uuid(), provider_id, player_id, currency, definition_id, game_code, rounds,
            stake, "offered", None, None,
        )  # fmt: skip
        await tx.execute(
            "INSERT INTO provider_campaigns (campaign_uuid, provider_id, player_id, currency,"
            " definition_id, game_code, rounds, stake, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'offered', ?)",
            (campaign.campaign_uuid, provider_id, player_id, currency, definition_id, game_code,
             rounds, stake, now_ms()),
        )  # fmt: skip
        return campaign

    async def of_player(self, player_id: int, status: str) -> list[Campaign]:
        rows = await self.db.fetchall(
            f"{_CAMPAIGN} WHERE player_id = ? AND status = ? ORDER BY created_at",
            (player_id, status),
        )
        return [_campaign(row) for row in rows]

    async def find(self, campaign_uuid: str) -> Campaign | None:
        row = await self.db.fetchone(f"{_CAMPAIGN} WHERE campaign_uuid = ?", (campaign_uuid,))
        return None if row is None else _campaign(row)

    async def award(self, campaign_uuid: str, expires_at: int) -> str:
        """Create the campaign at its provider; the reward_uuid it answered. The same campaign
        again answers the same reward (the provider keys on campaign_uuid). PROVIDER_UNAVAILABLE
        when it does not answer RS_OK with a reward: nothing is recorded here."""
        campaign = await self.find(campaign_uuid)
        if campaign is None:
            raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "no such campaign")
        provider = await registry.get(self.db, campaign.provider_id)
        if provider is None or not provider.active or not provider.campaign_url:
            raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "the provider takes no campaigns now")
        body = msgspec.json.encode({
            "campaign_uuid": campaign.campaign_uuid, "user": str(campaign.player_id),
            "game_code": campaign.game_code, "currency": campaign.currency,
            "rounds": campaign.rounds, "stake": campaign.stake, "expires_at": expires_at,
        })  # fmt: skip
        stamp = str(int(time.time()))
        if provider.scheme is Scheme.HMAC_SHA256 and provider.hmac_secret is not None:
            signature = hmac_sign(provider.hmac_secret, stamp, body, call=True)
        else:
            private = load_private_key((await self.operator_key())[0])
            signature = rsa_sign(private, stamp, body, call=True)
        headers = {"Content-Type": "application/json", PROVIDER_HEADER: OPERATOR_ID,
                   TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature}  # fmt: skip
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT_S)) as http:
                response = await http.post(provider.campaign_url, content=body, headers=headers)
            answer = msgspec.json.decode(response.content) if response.content else None
        except (httpx.HTTPError, msgspec.DecodeError) as error:
            log.warning("provider %s campaign call failed: %s", provider.id, type(error).__name__)
            answer = None
        reward_uuid = answer.get("reward_uuid") if isinstance(answer, dict) else None
        if (
            not isinstance(answer, dict)
            or answer.get("status") != "RS_OK"
            or not isinstance(reward_uuid, str)
            or not 0 < len(reward_uuid) <= 128
        ):
            log.warning("provider %s did not take campaign %s", provider.id,
                        campaign.campaign_uuid)  # fmt: skip
            raise Refused(
                ErrorCode.PROVIDER_UNAVAILABLE, "the provider did not take the campaign; retry"
            )
        return reward_uuid

    async def awarded(
        self, tx: Transaction, campaign_uuid: str, reward_uuid: str, award_id: int
    ) -> bool:
        """Record the provider's reward and the bonus award, in the caller's transaction;
        False when the campaign was no longer an offer (accepted meanwhile)."""
        changed = await tx.execute(
            "UPDATE provider_campaigns SET status = 'awarded', reward_uuid = ?, award_id = ?,"
            " awarded_at = ? WHERE campaign_uuid = ? AND status = 'offered'",
            (reward_uuid, award_id, now_ms(), campaign_uuid),
        )
        return changed == 1
