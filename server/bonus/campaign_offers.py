"""Provider free-bet campaigns as bonus offers: made by staff for one player, accepted by the
player's explicit opt-in, awarded at the provider only then.

A campaign's definition is a `free_spins` definition on a provider game with trigger
`campaign`: never listed to everyone nor claimed by its id, only offered to the players staff
name (`make_offer`). The provider domain keeps the campaigns (server/provider/campaigns.py,
its `CampaignDesk`), reached through the `Desk` seam that the wiring plugs into
`Bonuses.campaigns`, so neither domain imports the other. Accepting (`accept`) first asks the
provider to create the campaign (its reward_uuid comes back), then, in one transaction, creates
the bonus award and records the reward: a provider that fails changes nothing here, and the
offer stays open to accept again (the provider keys the campaign on its id, so a retry after a
lost reply awards nothing twice). The award then queues and activates as any other; its free
rounds, stake and wagering are the definition's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from protocol.errors import ErrorCode, Refused
from server.audit import trail
from server.bonus import terms as rules
from server.storage.database import Transaction, now_ms

if TYPE_CHECKING:
    from server.bonus.service import Bonuses, Claimant

DAY_MS = 24 * 3600 * 1000
TRIGGER = "campaign"


class Campaign(Protocol):
    """A campaign as the provider domain keeps it (read-only here)."""

    @property
    def campaign_uuid(self) -> str: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def player_id(self) -> int: ...
    @property
    def definition_id(self) -> int: ...
    @property
    def game_code(self) -> str: ...
    @property
    def rounds(self) -> int: ...
    @property
    def stake(self) -> int: ...
    @property
    def status(self) -> str: ...
    def public(self) -> dict[str, Any]: ...


class Desk(Protocol):
    """The provider domain's campaigns (server/provider/campaigns.py CampaignDesk)."""

    async def checked(self, provider_id: str, game_code: str) -> None: ...
    async def offer(
        self, tx: Transaction, provider_id: str, player_id: int, currency: str,
        definition_id: int, game_code: str, rounds: int, stake: int,
    ) -> Campaign: ...  # fmt: skip
    async def of_player(self, player_id: int, status: str) -> Sequence[Campaign]: ...
    async def find(self, campaign_uuid: str) -> Campaign | None: ...
    async def award(self, campaign_uuid: str, expires_at: int) -> str: ...
    async def awarded(
        self, tx: Transaction, campaign_uuid: str, reward_uuid: str, award_id: int
    ) -> bool: ...


def _desk(bonuses: Bonuses) -> Desk:
    if bonuses.campaigns is None:
        raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "no provider campaigns on this server")
    return bonuses.campaigns


async def make_offer(
    bonuses: Bonuses, definition_id: int, player: Claimant, address: str, actor: str
) -> dict[str, Any]:
    """Offer a campaign definition's free rounds to one player (staff), on the audit trail in
    the transaction that stores the offer. Nothing is awarded until the player accepts."""
    desk = _desk(bonuses)
    found = await bonuses.definition(definition_id)
    if found is None or found.trigger != TRIGGER:
        raise Refused(ErrorCode.VALIDATION_FAILED, "not a campaign definition",
                      field="definition_id")  # fmt: skip
    if not found.open_to(player, now_ms()):
        raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "the offer is not open to this player")
    terms = found.terms
    await desk.checked(terms.provider, terms.game)
    async with bonuses.db.transaction() as tx:
        campaign = await desk.offer(
            tx, terms.provider, player.id, player.currency, found.id, terms.game, terms.spins,
            terms.spin_stake,
        )  # fmt: skip
        await trail.record(
            tx, actor, "campaign_offered", f"player:{player.id}", "", address,
            {"campaign": campaign.campaign_uuid, "definition_id": found.id,
             "provider": terms.provider, "game": terms.game, "rounds": terms.spins,
             "stake": terms.spin_stake},
        )  # fmt: skip
    return campaign.public()


async def offered(bonuses: Bonuses, player: Claimant) -> list[dict[str, Any]]:
    """The player's open campaign offers, as offers (the definition's terms, `campaign` its
    id to accept with); none while marketing must leave the player alone."""
    if bonuses.campaigns is None or not await bonuses.marketing_allowed(player.id):
        return []
    listed = []
    at = now_ms()
    for campaign in await bonuses.campaigns.of_player(player.id, "offered"):
        found = await bonuses.definition(campaign.definition_id)
        if found is not None and found.open_to(player, at):
            listed.append({**found.public(), "campaign": campaign.campaign_uuid})
    return listed


async def accept(bonuses: Bonuses, player: Claimant, campaign_uuid: str) -> int:
    """The player opts into a campaign offered to them: awarded at the provider, then the bonus
    award (its id) and the reward are recorded together and the award queues. BONUS_NOT_AVAILABLE
    for a campaign not offered to this player (or accepted already), PROVIDER_UNAVAILABLE when
    the provider did not take it (nothing changed: accept again)."""
    if not await bonuses.marketing_allowed(player.id):
        raise Refused(ErrorCode.PLAY_BLOCKED, "no promotions during a time-out or self-exclusion")
    if (blocked := await bonuses.bonus_block(player.id)) is not None:
        raise blocked
    desk = _desk(bonuses)
    campaign = await desk.find(campaign_uuid)
    if campaign is None or campaign.player_id != player.id or campaign.status != "offered":
        raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "no such offer for this player")
    found = await bonuses.definition(campaign.definition_id)
    if found is None or not found.open_to(player, now_ms()):
        raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "this offer has ended")
    expires_at = now_ms() + found.terms.valid_days * DAY_MS
    reward_uuid = await desk.award(campaign_uuid, expires_at)
    async with bonuses.db.transaction() as tx:
        award_id = await tx.insert(
            "INSERT INTO bonus_awards (definition_id, player_id, currency, status, amount,"
            " required, created_at, claim_key) VALUES (?, ?, ?, 'queued', 0, ?, ?, ?)"
            " ON CONFLICT (claim_key) DO NOTHING",
            (found.id, player.id, player.currency, rules.required(found.terms, 0), now_ms(),
             f"campaign:{campaign_uuid}"),
        )  # fmt: skip
        if award_id is None or not await desk.awarded(tx, campaign_uuid, reward_uuid, award_id):
            # Accepted meanwhile by another request: this transaction rolls back, nothing twice.
            raise Refused(ErrorCode.BONUS_NOT_AVAILABLE, "this offer was already accepted")
    await bonuses.activate(player.id, player.currency)
    return award_id
