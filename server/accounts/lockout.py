"""Brute-force lockout of password logins, and the cap on registrations per address, counted
in Redis so every worker sees one count.

Two counters, each a Redis key whose TTL is its window: login attempts on one
account, and failed logins from one client address. A window opens with its
first attempt and closes `window_s` later; once a counter has reached its
limit, every login it covers is refused until the window closes, the right
password included, so a guesser learns nothing from the reply.

An attempt is counted *before* its password is checked (and un-counted when it
succeeds), so a thousand guesses sent at once still get only `limit` password
checks. A successful login clears the account's counter and gives back its own
unit of the address's, never more: one valid account must not buy an attacker
a fresh budget of guesses on every other.

An account is named by its player id when the login name is known, and by a
hash of the name when it is not, so an unknown name is locked exactly like a
real one and the reply never tells which exists. Each script touches one key,
so each call stays within one hash slot on Redis Cluster. A command retried
across a Redis restart may count one attempt twice: the error is on the safe side.

Registrations from one client address are counted the same way (`RegistrationLimit`):
each one is counted before its password is hashed or its row written, so a burst
sent at once still creates at most `limit` accounts per window, and the count is
never given back (a refused duplicate counts too: it spent a hash and answered
whether a name is taken).
"""

from __future__ import annotations

import hashlib
import math

import redis.asyncio as aioredis

# KEYS[1] the counter; ARGV limit, window (ms). 0 when admitted, else the lock's ms left.
_ATTEMPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if count <= tonumber(ARGV[1]) then
    return 0
end
redis.call('DECR', KEYS[1])
return redis.call('PTTL', KEYS[1])
"""

# KEYS[1] the counter: give back one attempt, without creating a key that has expired.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
    redis.call('DECR', KEYS[1])
end
return 0
"""


class Locked(Exception):
    """Logins (or registrations) are refused for another `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"locked for {retry_after} s")
        self.retry_after = retry_after


def account_key(player_id: int | None, login: str) -> str:
    if player_id is not None:
        return f"{{auth:p:{player_id}}}:login_attempts"
    digest = hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]
    return f"{{auth:n:{digest}}}:login_attempts"


def address_key(address: str) -> str:
    return f"{{auth:a:{address}}}:login_attempts"


def registrations_key(address: str) -> str:
    return f"{{auth:a:{address}}}:registrations"


class Lockout:
    def __init__(
        self, client: aioredis.Redis, per_account: int, per_address: int, window_s: int
    ) -> None:
        self.redis = client
        self.per_account = per_account
        self.per_address = per_address
        self.window_ms = window_s * 1000
        self._attempt = client.register_script(_ATTEMPT)
        self._give_back = client.register_script(_GIVE_BACK)

    async def _admit(self, key: str, limit: int) -> None:
        left_ms = int(await self._attempt(keys=[key], args=[limit, self.window_ms]))
        if left_ms != 0:
            raise Locked(max(1, math.ceil(left_ms / 1000)))

    async def attempt(self, account: str, address: str) -> None:
        """Count one login attempt on both counters, or raise Locked (counting nothing)."""
        await self._admit(account, self.per_account)
        try:
            await self._admit(address, self.per_address)
        except Locked:
            await self._give_back(keys=[account])
            raise

    async def succeeded(self, account: str, address: str) -> None:
        """The attempt's password was right: the account starts afresh, the address gets
        back the one attempt it spent."""
        await self.redis.delete(account)
        await self._give_back(keys=[address])


class RegistrationLimit:
    """At most `per_address` registrations from one client address per window."""

    def __init__(self, client: aioredis.Redis, per_address: int, window_s: int) -> None:
        self.per_address = per_address
        self.window_ms = window_s * 1000
        self._attempt = client.register_script(_ATTEMPT)

    async def attempt(self, address: str) -> None:
        """Count one registration from `address`, or raise Locked (counting nothing)."""
        key = registrations_key(address)
        left_ms = int(await self._attempt(keys=[key], args=[self.per_address, self.window_ms]))
        if left_ms != 0:
            raise Locked(max(1, math.ceil(left_ms / 1000)))


def mails_key(subject: str) -> str:
    return f"{{auth:m:{subject}}}:mails"


class MailLimit:
    """At most `per_account` account emails (verification, reset) per account and
    `per_address` asked for from one client address, per window. An unknown login name is
    counted under the hash of the name, exactly like an account, so a refusal tells nothing
    about whether the account exists."""

    def __init__(
        self, client: aioredis.Redis, per_account: int, per_address: int, window_s: int
    ) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window_ms = window_s * 1000
        self._attempt = client.register_script(_ATTEMPT)

    async def _admit(self, key: str, limit: int) -> None:
        left_ms = int(await self._attempt(keys=[key], args=[limit, self.window_ms]))
        if left_ms != 0:
            raise Locked(max(1, math.ceil(left_ms / 1000)))

    async def attempt(self, account: str, address: str) -> None:
        """Count one email for `account` (an `account_key`) asked from `address`."""
        await self._admit(mails_key(f"a:{address}"), self.per_address)
        await self._admit(mails_key(account), self.per_account)
