"""The running server's services, built once at start-up and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from server.accounts.service import Accounts
from server.config import Settings
from server.fairness.service import Fairness
from server.money.journal.flusher import Flusher
from server.money.wallet import Wallet
from server.provider.service import ProviderService
from server.rounds.play import Play
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
    play: Play
    provider: ProviderService
