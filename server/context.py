"""The running server's services, built once at start-up and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from server.accounts.care import Care
from server.accounts.service import Accounts
from server.bonus.service import Bonuses
from server.config import Settings
from server.money.journal.flusher import Flusher
from server.money.wallet import Wallet
from server.observability.backlog import Watched
from server.provider.service import ProviderService
from server.rg.profiles import Chooser
from server.rg.state import ResponsibleGambling
from server.rounds.fairness import Fairness
from server.rounds.play import Rounds
from server.storage.database import Database


@dataclass(slots=True)
class Services:
    settings: Settings
    redis: aioredis.Redis
    db: Database
    wallet: Wallet
    accounts: Accounts
    flusher: Flusher
    fairness: Fairness
    play: Rounds
    provider: ProviderService
    backlog_keys: tuple[Watched, ...]  # what /metrics and /ready read (server/wiring.py)
    rg: ResponsibleGambling  # responsible gambling: limits, exclusions (server/rg/state.py)
    profiles: Chooser  # the jurisdiction profile of a player's country
    bonus: Bonuses
    care: Care | None = None  # the account screens' services (server/accounts/care)
