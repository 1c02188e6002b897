"""The provider simulator as its own HTTP process: the campaigns side of a game provider.

Aggregators award free rounds through the provider (Hub88's free-bet "rewards"): the operator
asks the provider to create a campaign for one player, one game, a number of rounds and a stake
per round (`POST /campaigns`), and the provider later plays those rounds as bets flagged
`is_free` that carry the campaign's `reward_uuid`. This process is that provider. The casino's
call is signed like the wallet API's calls, in the other direction: over `CALL_DOMAIN`, the
timestamp and the raw body, with the provider's HMAC secret (or the casino's RSA key, checked
with its public key), so that nothing signed for the wallet API verifies here. A campaign is
idempotent by its `campaign_uuid`: the same terms again answer the original reward, other terms
409. Campaigns are kept in memory: a restarted simulator has none (the casino resends).

`POST /campaigns/{campaign_uuid}/play` (the tests' hand on the game, like the sandbox gateway's
`/admin/...` routes) opens the player's game session from a launch token and plays the
campaign's remaining rounds (or `rounds` of them) through the casino's wallet API, each bet
followed by its win (`payouts` gives them in order; else the simulator draws one).
`POST /admin/faults {"fault": "dead" | "none"}` makes `/campaigns` answer 503, as a provider
that is down does. Bind it to 127.0.0.1.

    CASINO_PROVIDER_SECRET=... python -m clients.provider_sim_server --port 8200 \\
        --url http://127.0.0.1:8000 --provider sandbox
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import rng
from clients.provider_sim import OK, ProviderClient, Signer, new_uuid

REPLAY_WINDOW_S = 300
PAYOUT_MULTIPLIERS = (0, 0, 0, 1, 2, 5)  # a drawn win is the stake times one of these
TERMS = ("user", "game_code", "currency", "rounds", "stake")


class CampaignTerms(msgspec.Struct, forbid_unknown_fields=False):
    campaign_uuid: str
    user: str
    game_code: str
    currency: str
    rounds: int
    stake: int
    expires_at: int = 0  # ms; 0: the campaign does not expire at the provider


class PlayRequest(msgspec.Struct):
    token: str  # the launch token from the launch URL of the player's game
    rounds: int | None = None
    payouts: list[int] = msgspec.field(default_factory=list)


@dataclass
class Campaign:
    terms: CampaignTerms
    reward_uuid: str
    left: int
    played: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "status": OK, "campaign_uuid": self.terms.campaign_uuid,
            "reward_uuid": self.reward_uuid, "rounds": self.terms.rounds, "left": self.left,
        }  # fmt: skip


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def _terms_refusal(terms: CampaignTerms) -> str | None:
    for name in ("campaign_uuid", "user", "game_code"):
        value = getattr(terms, name)
        if not 1 <= len(value) <= 128 or not value.isascii() or not value.isprintable():
            return f"{name} is 1-128 printable ASCII characters"
    if not (len(terms.currency) == 3 and terms.currency.isupper()):
        return "currency is ISO 4217"
    if not 1 <= terms.rounds <= 1000 or not 1 <= terms.stake <= 10**9:
        return "rounds is 1-1000 and stake 1-10^9 minor units"
    return None


def create_app(casino_url: str, provider_id: str, signer: Signer) -> Starlette:
    campaigns: dict[str, Campaign] = {}
    fault = {"mode": "none"}

    def authentic(request: Request, body: bytes) -> bool:
        stamp = request.headers.get("X-Timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - int(time.time())) > REPLAY_WINDOW_S:
            return False
        return signer.call_is_authentic(stamp, body, request.headers.get("X-Signature", ""))

    async def create(request: Request) -> Response:
        if fault["mode"] == "dead":
            return _json({"status": "RS_ERROR_UNKNOWN", "message": "provider down"}, 503)
        body = await request.body()
        if not authentic(request, body):
            return _json({"status": "RS_ERROR_INVALID_SIGNATURE"}, 401)
        try:
            terms = msgspec.json.decode(body, type=CampaignTerms)
        except msgspec.MsgspecError as error:
            return _json({"status": "RS_ERROR_WRONG_SYNTAX", "message": str(error)}, 400)
        if (refusal := _terms_refusal(terms)) is not None:
            return _json({"status": "RS_ERROR_WRONG_TYPES", "message": refusal}, 400)
        found = campaigns.get(terms.campaign_uuid)
        if found is None:
            found = Campaign(terms, new_uuid(), terms.rounds)
            campaigns[terms.campaign_uuid] = found
        elif any(getattr(found.terms, name) != getattr(terms, name) for name in TERMS):
            return _json({"status": "RS_ERROR_DUPLICATE_TRANSACTION"}, 409)
        return _json(found.public())

    async def show(request: Request) -> Response:
        found = campaigns.get(request.path_params["campaign_uuid"])
        if found is None:
            return _json({"status": "RS_ERROR_UNKNOWN"}, 404)
        return _json({**found.public(), "played": found.played})

    async def play(request: Request) -> Response:
        found = campaigns.get(request.path_params["campaign_uuid"])
        if found is None:
            return _json({"status": "RS_ERROR_UNKNOWN"}, 404)
        try:
            asked = msgspec.json.decode(await request.body(), type=PlayRequest)
        except msgspec.MsgspecError as error:
            return _json({"status": "RS_ERROR_WRONG_SYNTAX", "message": str(error)}, 400)
        client = ProviderClient(casino_url, provider_id, signer)
        try:
            played = await play_rounds(client, found, asked)
        finally:
            await client.aclose()
        return _json({**found.public(), "played": played})

    async def set_fault(request: Request) -> Response:
        asked = msgspec.json.decode(await request.body())
        if not isinstance(asked, dict) or asked.get("fault") not in ("dead", "none"):
            return _json({"message": "fault is dead or none"}, 400)
        fault["mode"] = asked["fault"]
        return _json(fault)

    async def health(request: Request) -> Response:
        return _json({"status": "ok", "campaigns": len(campaigns)})

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/campaigns", create, methods=["POST"]),
            Route("/campaigns/{campaign_uuid}", show),
            Route("/campaigns/{campaign_uuid}/play", play, methods=["POST"]),
            Route("/admin/faults", set_fault, methods=["POST"]),
        ]
    )


async def play_rounds(
    client: ProviderClient, campaign: Campaign, asked: PlayRequest
) -> list[dict[str, Any]]:
    """Play the campaign's free rounds in a session opened from `asked.token`: each a bet
    flagged is_free with the reward_uuid, then its win closing the round. Stops at the first
    bet the casino refuses (its status is in the list); every answer is kept on the campaign."""
    terms = campaign.terms
    info = await client.user_info(asked.token, user=terms.user)
    if info["status"] != OK:
        return [{"bet": info["status"]}]
    token = info["token"]
    count = campaign.left if asked.rounds is None else min(asked.rounds, campaign.left)
    played: list[dict[str, Any]] = []
    for index in range(count):
        base = {"token": token, "user": terms.user, "game_code": terms.game_code,
                "round": new_uuid()}  # fmt: skip
        bet_id = new_uuid()
        bet = await client.transaction("bet", {
            **base, "transaction_uuid": bet_id, "currency": terms.currency,
            "amount": terms.stake, "is_free": True, "reward_uuid": campaign.reward_uuid,
        })  # fmt: skip
        entry: dict[str, Any] = {"transaction_uuid": bet_id, "bet": bet["status"]}
        played.append(entry)
        if bet["status"] != OK:
            break
        campaign.left -= 1
        if index < len(asked.payouts):
            payout = asked.payouts[index]
        else:
            payout = terms.stake * PAYOUT_MULTIPLIERS[rng.randbelow(len(PAYOUT_MULTIPLIERS))]
        win = await client.transaction("win", {
            **base, "transaction_uuid": new_uuid(), "reference_transaction_uuid": bet_id,
            "currency": terms.currency, "amount": payout, "round_closed": True,
            "is_free": True, "reward_uuid": campaign.reward_uuid,
        })  # fmt: skip
        entry.update(win=win["status"], payout=payout)
    campaign.played += played
    return played


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--url", required=True, help="the casino's base URL")
    parser.add_argument("--provider", default="sandbox")
    args = parser.parse_args(argv)
    # The secret comes from the environment, never the command line (`ps` shows it).
    secret = os.environ.get("CASINO_PROVIDER_SECRET")
    if not secret:
        raise SystemExit("set CASINO_PROVIDER_SECRET to the provider's HMAC secret")
    app = create_app(args.url, args.provider, Signer(secret=secret))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
