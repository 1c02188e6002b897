"""The providers allowed to call the wallet API, their keys, and our own response-signing key.

Owns the `providers` and `provider_signing_keys` tables. An HMAC secret is made
here from the CSPRNG and handed to the operator once (the admin command prints
it); it is stored because verifying a MAC needs it, and it never reaches a log
or a repr. Providers are read per request, so disabling one takes effect at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import rng
from server.provider.signatures import Scheme, load_public_key, new_rsa_key_pair
from server.storage.database import Database, IntegrityError, Row, now_ms

PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
DEFAULT_SESSION_TTL_S = 4 * 3600
DEFAULT_REPLAY_WINDOW_S = 300
SECRET_BYTES = 32
OPERATOR_KEY_ID = 1


class ProviderExists(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Provider:
    id: str
    name: str
    status: str  # active or disabled
    scheme: Scheme
    launch_url: str
    session_ttl_s: int
    replay_window_s: int
    hmac_secret: str | None = field(default=None, repr=False)
    public_key_pem: str | None = field(default=None, repr=False)
    campaign_url: str | None = None  # where it takes free-bet campaigns; None: it runs none

    @property
    def active(self) -> bool:
        return self.status == "active"


_COLUMNS = (
    "id, name, status, signature_scheme, launch_url, session_ttl_s, replay_window_s,"
    " hmac_secret, public_key_pem, campaign_url"
)


def _provider(row: Row) -> Provider:
    return Provider(
        id=str(row[0]),
        name=str(row[1]),
        status=str(row[2]),
        scheme=Scheme(str(row[3])),
        launch_url=str(row[4]),
        session_ttl_s=int(row[5]),
        replay_window_s=int(row[6]),
        hmac_secret=None if row[7] is None else str(row[7]),
        public_key_pem=None if row[8] is None else str(row[8]),
        campaign_url=None if row[9] is None else str(row[9]),
    )


async def get(db: Database, provider_id: str) -> Provider | None:
    if not PROVIDER_ID.fullmatch(provider_id):
        return None
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM providers WHERE id = ?", (provider_id,))  # noqa: S608 (constant columns)
    return _provider(row) if row else None


async def all_providers(db: Database) -> list[Provider]:
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM providers ORDER BY id")  # noqa: S608
    return [_provider(row) for row in rows]


async def add(
    db: Database,
    provider_id: str,
    name: str,
    scheme: Scheme,
    launch_url: str,
    public_key_pem: str | None = None,
    session_ttl_s: int = DEFAULT_SESSION_TTL_S,
    replay_window_s: int = DEFAULT_REPLAY_WINDOW_S,
    if_absent: bool = False,
    campaign_url: str | None = None,
) -> str | None:
    """Register a provider; returns the new HMAC secret (None for RSA, or when `if_absent`
    found it already registered). Show the secret to the operator once; it is not logged."""
    if not PROVIDER_ID.fullmatch(provider_id):
        raise ValueError("a provider id is 1-32 of a-z, 0-9, '_' and '-', starting alphanumeric")
    if not launch_url.startswith(("https://", "http://")):
        raise ValueError("the launch URL must be http(s)")
    _check_campaign_url(campaign_url)
    if session_ttl_s < 1 or replay_window_s < 1:
        raise ValueError("session TTL and replay window are positive seconds")
    secret: str | None = None
    if scheme is Scheme.HMAC_SHA256:
        secret = rng.token_urlsafe(SECRET_BYTES)
        public_key_pem = None
    elif public_key_pem is None:
        raise ValueError("an RSA provider needs its public key")
    else:
        load_public_key(public_key_pem)  # refuse a bad key now, not at the first request
    try:
        async with db.transaction() as tx:
            inserted = await tx.insert(
                "INSERT INTO providers (id, name, status, signature_scheme, hmac_secret,"
                " public_key_pem, launch_url, session_ttl_s, replay_window_s, created_at,"
                " campaign_url) VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                (
                    provider_id, name, scheme.value, secret, public_key_pem, launch_url,
                    session_ttl_s, replay_window_s, now_ms(), campaign_url,
                ),
            )  # fmt: skip
    except IntegrityError as error:
        raise ValueError(f"provider {provider_id} could not be stored: {error}") from None
    if inserted is None:
        if if_absent:
            return None
        raise ProviderExists(f"provider {provider_id} already exists")
    return secret


async def rotate_secret(db: Database, provider_id: str) -> str:
    """A new HMAC secret for a provider; the old one stops working at once."""
    secret = rng.token_urlsafe(SECRET_BYTES)
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE providers SET hmac_secret = ? WHERE id = ? AND signature_scheme = ?",
            (secret, provider_id, Scheme.HMAC_SHA256.value),
        )
    if changed != 1:
        raise ValueError(f"no HMAC provider {provider_id}")
    return secret


def _check_campaign_url(url: str | None) -> None:
    if url is not None and not url.startswith(("https://", "http://")):
        raise ValueError("the campaign URL must be http(s)")


async def set_campaign_url(db: Database, provider_id: str, url: str | None) -> None:
    """Where the provider takes free-bet campaigns (None: it runs none); at once, like all."""
    _check_campaign_url(url)
    async with db.transaction() as tx:
        if await tx.execute(
            "UPDATE providers SET campaign_url = ? WHERE id = ?", (url, provider_id)
        ):
            return
    raise ValueError(f"no provider {provider_id}")


async def set_status(db: Database, provider_id: str, status: str) -> None:
    if status not in ("active", "disabled"):
        raise ValueError("status is active or disabled")
    async with db.transaction() as tx:
        if await tx.execute("UPDATE providers SET status = ? WHERE id = ?", (status, provider_id)):
            return
    raise ValueError(f"no provider {provider_id}")


async def operator_key(db: Database) -> tuple[str, str]:
    """(private PEM, public PEM) of our response-signing key, made on first use. Every
    process of a multi-worker server races to make it; the first insert wins for all."""
    row = await db.fetchone(
        "SELECT private_key_pem, public_key_pem FROM provider_signing_keys WHERE id = ?",
        (OPERATOR_KEY_ID,),
    )
    if row is None:
        private, public = new_rsa_key_pair()
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO provider_signing_keys (id, private_key_pem, public_key_pem,"
                " created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (OPERATOR_KEY_ID, private, public, now_ms()),
            )
            row = await tx.fetchone(
                "SELECT private_key_pem, public_key_pem FROM provider_signing_keys WHERE id = ?",
                (OPERATOR_KEY_ID,),
            )
    assert row is not None
    return str(row[0]), str(row[1])
