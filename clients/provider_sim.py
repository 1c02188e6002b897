"""A game provider, simulated: launches a game for a player, then plays rounds through the
casino's seamless-wallet API with real signatures, as a provider's game server would.

It behaves like the providers the API is built for: every request is signed
(HMAC-SHA256 with the shared secret, or RSA-SHA256 with its private key) and
every reply's signature is checked, over the reply domain `REPLY_DOMAIN` and
the reply's bytes; the launch token from the launch URL is exchanged by the
first user/info for the session token every later call carries; a bet whose
reply is lost is retried with the same transaction_uuid and, if it still gets
no answer (or any refusal but NOT_ENOUGH_MONEY / LIMIT_REACHED), rolled back; a
win is retried until it is answered, never rolled back. `--lost-replies` throws
replies away on purpose to exercise all of that, `--rollback-rate` makes the
game fail after a bet, and `--overtake-rate` sends a rollback before its bet, as
a slow network can.
It talks to the server over the wire only.

    python -m clients.provider_sim --url http://127.0.0.1:8000 --rounds 20 \\
        --secret-file sandbox.secret        # or CASINO_PROVIDER_SECRET=... in the environment

The sandbox provider's secret: `python -m server.provider.admin secret sandbox`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import rng
from clients.api import CasinoClient

OK = "RS_OK"
# The casino signs its replies over this prefix and the request's message format, so that no
# reply can be sent back as a request (server/provider/signatures.py; the wire is the contract).
REPLY_DOMAIN = b"casino-wallet-reply-v1."
# The casino signs its own calls to the provider (a campaign: clients/provider_sim_server.py)
# over this prefix, so that neither a wallet request nor a reply verifies as one.
CALL_DOMAIN = b"casino-operator-call-v1."
NO_ROLLBACK = {"RS_ERROR_NOT_ENOUGH_MONEY", "RS_ERROR_LIMIT_REACHED"}
ATTEMPTS = 4
ROLLBACK_ROUNDS = 10  # a rollback is resent this many times ATTEMPTS before giving up


def new_uuid() -> str:
    """A random (version 4) UUID from the project's CSPRNG."""
    raw = bytearray(rng.randbytes(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class ReplyNotAuthentic(Exception):
    """The casino's reply carried no valid signature."""


class LostReply(Exception):
    """No reply arrived (a timeout, a dropped connection, or a reply thrown away)."""


@dataclass(frozen=True)
class Signer:
    """How this provider signs, and how it checks the casino's replies."""

    secret: str | None = field(default=None, repr=False)  # HMAC
    private_key: rsa.RSAPrivateKey | None = field(default=None, repr=False)  # RSA
    casino_public_key: rsa.RSAPublicKey | None = None  # verifies replies in RSA mode

    def sign(self, timestamp: str, body: bytes) -> str:
        message = timestamp.encode() + b"." + body
        if self.secret is not None:
            digest = hmac.new(self.secret.encode(), message, hashlib.sha256).digest()
            return base64.b64encode(digest).decode()
        assert self.private_key is not None, "a signer needs a secret or a private key"
        raw = self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def reply_is_authentic(self, timestamp: str, body: bytes, signature: str) -> bool:
        return self._casino_signed(REPLY_DOMAIN, timestamp, body, signature)

    def call_is_authentic(self, timestamp: str, body: bytes, signature: str) -> bool:
        """Whether a call the casino made to us (a campaign) carries its signature."""
        return self._casino_signed(CALL_DOMAIN, timestamp, body, signature)

    def _casino_signed(self, domain: bytes, timestamp: str, body: bytes, signature: str) -> bool:
        message = domain + timestamp.encode() + b"." + body
        if self.secret is not None:
            digest = hmac.new(self.secret.encode(), message, hashlib.sha256).digest()
            return hmac.compare_digest(base64.b64encode(digest).decode(), signature)
        if self.casino_public_key is None:
            return False
        try:
            self.casino_public_key.verify(
                base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return True


class ProviderClient:
    """The provider's side of the wallet API: signed calls, verified replies."""

    def __init__(
        self, base_url: str, provider_id: str, signer: Signer, timeout_s: float = 5.0
    ) -> None:
        self.provider_id = provider_id
        self.signer = signer
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def post(
        self,
        path: str,
        body: dict[str, Any] | bytes,
        timestamp: str | None = None,
        signature: str | None = None,
        provider_id: str | None = None,
    ) -> dict[str, Any]:
        """Sign and send; the overrides exist to send what a broken provider would."""
        raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
        stamp = timestamp if timestamp is not None else str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Provider-Id": provider_id if provider_id is not None else self.provider_id,
            "X-Timestamp": stamp,
            "X-Signature": signature if signature is not None else self.signer.sign(stamp, raw),
        }
        try:
            response = await self.http.post(path, content=raw, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as error:
            raise LostReply(str(error)) from error
        reply_stamp = response.headers.get("X-Timestamp", "")
        reply_signature = response.headers.get("X-Signature", "")
        if not self.signer.reply_is_authentic(reply_stamp, response.content, reply_signature):
            raise ReplyNotAuthentic(f"{path}: HTTP {response.status_code} {response.text[:200]}")
        reply: dict[str, Any] = msgspec.json.decode(response.content)
        return reply

    async def user_info(self, token: str, **extra: Any) -> dict[str, Any]:
        return await self.post(
            "/provider/user/info", {"request_uuid": new_uuid(), "token": token, **extra}
        )

    async def open_session(self, launched: dict[str, str]) -> dict[str, str]:
        """The game session of a launch: its first user/info exchanges the launch token of
        the launch URL for the session token (`token`) every later call carries."""
        info = await self.user_info(launched["token"], user=launched["user"])
        if info["status"] != OK:
            raise RuntimeError(f"user/info refused the launch token: {info['status']}")
        return {**launched, "token": info["token"]}

    async def balance(self, token: str, user: str, **extra: Any) -> dict[str, Any]:
        body = {"request_uuid": new_uuid(), "token": token, "user": user, **extra}
        return await self.post("/provider/user/balance", body)

    async def transaction(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """bet, win or rollback; `body` must carry every field but request_uuid."""
        return await self.post(
            f"/provider/transaction/{kind}", {"request_uuid": new_uuid(), **body}
        )


@dataclass
class Tally:
    rounds: int = 0
    bets: int = 0
    wins: int = 0
    rollbacks: int = 0
    refused: int = 0
    resent: int = 0
    staked: int = 0  # bets that stand (rolled-back ones are not counted)
    paid: int = 0
    initial_balance: int = 0
    final_balance: int | None = None

    @property
    def expected_balance(self) -> int:
        """The provider's own books: what the wallet must show if nothing was lost."""
        return self.initial_balance - self.staked + self.paid

    @property
    def ok(self) -> bool:
        return self.final_balance == self.expected_balance


@dataclass
class Chaos:
    lost_replies: float = 0.0  # share of bet/win replies thrown away (the request is resent)
    rollback_rate: float = 0.0  # share of accepted bets the "game" fails and rolls back
    overtake_rate: float = 0.0  # share of bets whose rollback is sent before the bet itself


def _chance(p: float) -> bool:
    return p > 0 and rng.random() < p


class Simulator:
    def __init__(self, provider: ProviderClient, chaos: Chaos | None = None) -> None:
        self.provider = provider
        self.chaos = chaos or Chaos()

    async def _send(self, kind: str, body: dict[str, Any], tally: Tally) -> dict[str, Any] | None:
        """Send with retries; the same body (same transaction_uuid) every time."""
        for attempt in range(ATTEMPTS):
            try:
                reply = await self.provider.transaction(kind, body)
            except LostReply:
                reply = None
            if reply is not None and kind != "rollback" and _chance(self.chaos.lost_replies):
                reply = None  # as if the reply never arrived: the money may well have moved
            if reply is not None:
                return reply
            tally.resent += 1
            await asyncio.sleep(0.01 * (attempt + 1))
        return None

    async def _settle_rollback(self, body: dict[str, Any], tally: Tally) -> None:
        """Roll a bet back until the casino answers: a provider may not leave one hanging."""
        for _ in range(ROLLBACK_ROUNDS):
            reply = await self._send("rollback", body, tally)
            if reply is not None and reply["status"] == OK:
                tally.rollbacks += 1
                return
            if reply is not None:
                raise RuntimeError(f"rollback refused: {reply['status']}")
        raise RuntimeError("the casino never answered a rollback")

    async def play_round(self, session: dict[str, str], stake: int, tally: Tally) -> bool:
        """One round: bet, then win (maybe 0) closing the round; False when out of money."""
        base = {
            "token": session["token"],
            "user": session["user"],
            "game_code": session["game_code"],
            "round": new_uuid(),
        }
        bet_id = new_uuid()
        bet = {**base, "transaction_uuid": bet_id, "currency": session["currency"],
               "amount": stake}  # fmt: skip
        rollback = {**base, "transaction_uuid": new_uuid(), "reference_transaction_uuid": bet_id}
        tally.rounds += 1
        if _chance(self.chaos.overtake_rate):
            await self._settle_rollback(rollback, tally)
            reply = await self._send("bet", bet, tally)
            # No answer at all is fine: a provider rolls such a bet back, and that is done.
            if reply is not None and reply["status"] != "RS_ERROR_TRANSACTION_ROLLED_BACK":
                raise RuntimeError(f"a bet after its rollback was not refused: {reply}")
            tally.refused += 1
            return True
        reply = await self._send("bet", bet, tally)
        if reply is not None and reply["status"] in NO_ROLLBACK:
            tally.refused += 1
            return False
        if reply is None or reply["status"] != OK or _chance(self.chaos.rollback_rate):
            await self._settle_rollback(rollback, tally)
            return True
        tally.bets += 1
        tally.staked += stake
        payout = stake * [0, 0, 0, 1, 2, 5][rng.randbelow(6)]
        win = {**base, "transaction_uuid": new_uuid(), "reference_transaction_uuid": bet_id,
               "currency": session["currency"], "amount": payout, "round_closed": True}  # fmt: skip
        while (reply := await self._send("win", win, tally)) is None:
            pass  # a win is retried until answered, never rolled back
        if reply["status"] != OK:
            raise RuntimeError(f"win refused: {reply['status']}")
        tally.wins += 1
        tally.paid += payout
        return True

    async def play(self, launched: dict[str, str], rounds: int, stake: int) -> Tally:
        """Open the launch's session, then play `rounds` rounds in it."""
        session = await self.provider.open_session(launched)
        info = await self.provider.user_info(session["token"])
        if info["status"] != OK:
            raise RuntimeError(f"user/info refused: {info['status']}")
        tally = Tally(initial_balance=info["balance"])
        for _ in range(rounds):
            if not await self.play_round(session, stake, tally):
                break
        final = await self.provider.balance(session["token"], session["user"])
        tally.final_balance = final.get("balance")
        return tally


async def launch(base_url: str, provider_id: str, game_code: str, deposit: int) -> dict[str, str]:
    """A new sandbox player with a deposit, and the launch URL's parameters of its game
    launch (`token` is the single-use launch token: `ProviderClient.open_session` opens it)."""
    async with CasinoClient(base_url) as player:
        name = f"sim_{rng.randbytes(5).hex()}"
        password = f"Sim-{rng.token_urlsafe(12)}!"
        await player.register(
            email=f"{name}@example.com", username=name, password=password,
            date_of_birth="1980-01-01", country="DE", currency="EUR",
        )  # fmt: skip
        await player.login(name, password)
        if deposit:
            await player.deposit(deposit, idempotency_key=new_uuid())
        launched = await player.call(
            "POST", "/api/games/launch", {"provider": provider_id, "game_code": game_code}
        )
    query = parse_qs(urlsplit(launched["url"]).query)
    return {name: values[0] for name, values in query.items()}


async def signer_from(base_url: str, secret: str | None, rsa_key_pem: bytes | None) -> Signer:
    if secret:
        return Signer(secret=secret)
    if rsa_key_pem is None:
        raise SystemExit("give --secret-file, CASINO_PROVIDER_SECRET, or --rsa-key")
    key = serialization.load_pem_private_key(rsa_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SystemExit("--rsa-key must be an RSA private key (PEM)")
    async with httpx.AsyncClient(base_url=base_url) as http:
        pem = (await http.get("/provider/public-key")).content
    casino_key = serialization.load_pem_public_key(pem)
    assert isinstance(casino_key, rsa.RSAPublicKey)
    return Signer(private_key=key, casino_public_key=casino_key)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="provider_sim", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--provider", default="sandbox")
    parser.add_argument("--game", default="sandbox-fruits")
    parser.add_argument("--secret-file", type=Path, help="file holding the HMAC secret")
    parser.add_argument("--rsa-key", type=Path, help="PEM private key (RSA providers)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--stake", type=int, default=100, help="minor units per bet")
    parser.add_argument("--deposit", type=int, default=10_000, help="minor units")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    parser.add_argument("--lost-replies", type=float, default=0.0)
    parser.add_argument("--rollback-rate", type=float, default=0.0)
    parser.add_argument("--overtake-rate", type=float, default=0.0)
    return parser


async def run(args: argparse.Namespace, secret: str | None, rsa_key_pem: bytes | None) -> Tally:
    signer = await signer_from(args.url, secret, rsa_key_pem)
    session = await launch(args.url, args.provider, args.game, args.deposit)
    client = ProviderClient(args.url, args.provider, signer, args.timeout)
    try:
        chaos = Chaos(args.lost_replies, args.rollback_rate, args.overtake_rate)
        return await Simulator(client, chaos).play(session, args.rounds, args.stake)
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The secret comes from a file or the environment, never the command line (`ps` shows it).
    secret = os.environ.get("CASINO_PROVIDER_SECRET") or (
        args.secret_file.read_text().strip() if args.secret_file else None
    )
    rsa_key_pem = args.rsa_key.read_bytes() if args.rsa_key else None
    tally = asyncio.run(run(args, secret, rsa_key_pem))
    print(
        f"rounds={tally.rounds} bets={tally.bets} wins={tally.wins} rollbacks={tally.rollbacks}"
        f" refused={tally.refused} resent={tally.resent} staked={tally.staked}"
        f" paid={tally.paid} balance={tally.final_balance} expected={tally.expected_balance}"
        f" {'OK' if tally.ok else 'MISMATCH'}"
    )
    return 0 if tally.ok else 1


if __name__ == "__main__":
    sys.exit(main())
