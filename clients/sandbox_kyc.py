"""A sandbox KYC vendor: its own HTTP process that answers as Sumsub or Onfido do.

The server creates an applicant (`POST /applicants`, idempotent by
`externalUserId`, with the `webhookUrl` to answer to), sends documents
(`POST /applicants/{id}/documents?kind=&filename=`, raw bytes) and asks for a
review of a level (`POST /applicants/{id}/review`). The applicant is then
pending, and a moment later the answer goes to the webhook URL:
`applicantReviewed` with `reviewAnswer` GREEN, or RED with `reviewRejectType`
FINAL or RETRY, `rejectLabels` and a `moderationComment` for the player, signed
with HMAC-SHA256 over the raw body in `X-Payload-Digest` (hex). Each webhook has
an `eventId` (the same on a redelivery) and the applicant's `reviewSeq`.
A failed delivery is retried (3 tries), as the real ones do.

The name of the last document sent for the reviewed level chooses the outcome
(case-insensitive, anywhere in the name):

| name contains | answer |
|---|---|
| `red-final` | RED FINAL, labels FORGERY, "We could not verify your identity." |
| `red-retry` | RED RETRY, labels BAD_QUALITY, "The photo is blurred: upload a sharper one." |
| `flip` | GREEN, then (once, after it) RED FINAL, labels FRAUDULENT_PATTERNS |
| `twice` | GREEN, delivered twice with the same eventId |
| `late` | GREEN, delivered after `--late-ms` (default 1500 ms) |
| anything else | GREEN |

`POST /admin/redeliver/{id}` sends every webhook of the applicant again, as they
were (for tests of repeated and out-of-order delivery). It takes a bearer API
token (`SANDBOX_KYC_TOKEN`) and signs with `SANDBOX_KYC_WEBHOOK_SECRET`, both
from its environment (never the command line). State is in memory: a restart
forgets applicants. Bind it to 127.0.0.1.

    python -m clients.sandbox_kyc --port 8200 [--delay-ms 200] [--late-ms 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import rng
from clients import sandbox_listen

OUTCOMES: dict[str, tuple[str, str, list[str], str]] = {
    "red-final": ("RED", "FINAL", ["FORGERY"], "We could not verify your identity."),
    "red-retry": (
        "RED", "RETRY", ["BAD_QUALITY"], "The photo is blurred: upload a sharper one.",
    ),
}  # fmt: skip
GREEN: tuple[str, str, list[str], str] = ("GREEN", "", [], "")
FLIPPED = ("RED", "FINAL", ["FRAUDULENT_PATTERNS"], "We could not verify your identity.")


@dataclass
class Applicant:
    id: str
    external_user_id: str
    webhook_url: str
    documents: list[tuple[str, str]] = field(default_factory=list)  # (kind, filename)
    review_seq: int = 0
    status: str = "init"
    sent: list[bytes] = field(default_factory=list)


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


def outcome(filename: str) -> tuple[str, str, list[str], str]:
    lowered = filename.lower()
    for marker, answer in OUTCOMES.items():
        if marker in lowered:
            return answer
    return GREEN


def create_app(token: str, secret: str, delay_ms: int = 200, late_ms: int = 1500) -> Starlette:
    applicants: dict[str, Applicant] = {}
    by_user: dict[str, str] = {}
    tasks: set[asyncio.Task[None]] = set()

    def authorised(request: Request) -> bool:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return bool(given) and hmac.compare_digest(given.encode(), token.encode())

    async def deliver(applicant: Applicant, body: bytes) -> None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Payload-Digest": digest,
                   "X-Payload-Digest-Alg": "HMAC_SHA256_HEX"}  # fmt: skip
        async with httpx.AsyncClient(timeout=5) as client:
            for attempt in range(3):
                try:
                    reply = await client.post(applicant.webhook_url, content=body, headers=headers)
                    if reply.status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2 * 2**attempt)

    def webhook(applicant: Applicant, level: int, result: tuple[str, str, list[str], str]) -> bytes:
        applicant.review_seq += 1
        answer, reject_type, labels, comment = result
        applicant.status = "completed"
        body = msgspec.json.encode(
            {"eventId": f"evt_{rng.token_urlsafe(12)}", "type": "applicantReviewed",
             "applicantId": applicant.id, "externalUserId": applicant.external_user_id,
             "level": level, "reviewSeq": applicant.review_seq, "reviewStatus": "completed",
             "reviewResult": {"reviewAnswer": answer, "reviewRejectType": reject_type,
                              "rejectLabels": labels, "moderationComment": comment}}
        )  # fmt: skip
        applicant.sent.append(body)
        return body

    async def review_later(applicant: Applicant, level: int) -> None:
        wanted = ("id",) if level == 1 else ("address", "payment")
        names = [name for kind, name in applicant.documents if kind in wanted]
        name = names[-1] if names else ""
        lowered = name.lower()
        await asyncio.sleep((late_ms if "late" in lowered else delay_ms) / 1000)
        body = webhook(applicant, level, outcome(name))
        await deliver(applicant, body)
        if "twice" in lowered:
            await deliver(applicant, body)
        if "flip" in lowered:
            await asyncio.sleep(delay_ms / 1000)
            await deliver(applicant, webhook(applicant, level, FLIPPED))

    def spawn(coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def create(request: Request) -> Response:
        if not authorised(request):
            return _json({"error": "unknown API token"}, 401)
        data = msgspec.json.decode(await request.body())
        user = str(data.get("externalUserId", ""))
        url = str(data.get("webhookUrl", ""))
        if not user or not url.startswith(("http://", "https://")):
            return _json({"error": "externalUserId and webhookUrl are required"}, 422)
        if user in by_user:
            applicant = applicants[by_user[user]]
            applicant.webhook_url = url
        else:
            applicant = Applicant(f"app_{rng.token_urlsafe(9)}", user, url)
            applicants[applicant.id] = applicant
            by_user[user] = applicant.id
        return _json({"id": applicant.id, "externalUserId": user}, 201)

    def found(request: Request) -> Applicant | None:
        return applicants.get(request.path_params["applicant_id"])

    async def add_document(request: Request) -> Response:
        applicant = found(request)
        if not authorised(request) or applicant is None:
            return _json({"error": "unknown API token or applicant"}, 401 if applicant else 404)
        kind = request.query_params.get("kind", "")
        if kind not in ("id", "address", "payment") or not await request.body():
            return _json({"error": "kind and a non-empty body are required"}, 422)
        applicant.documents.append((kind, request.query_params.get("filename", "")))
        return _json({"documents": len(applicant.documents)}, 201)

    async def review(request: Request) -> Response:
        applicant = found(request)
        if not authorised(request) or applicant is None:
            return _json({"error": "unknown API token or applicant"}, 401 if applicant else 404)
        level = msgspec.json.decode(await request.body()).get("level")
        if level not in (1, 2):
            return _json({"error": "level must be 1 or 2"}, 422)
        applicant.status = "pending"
        spawn(review_later(applicant, level))
        return _json({"id": applicant.id, "reviewStatus": "pending"})

    async def status(request: Request) -> Response:
        applicant = found(request)
        if not authorised(request) or applicant is None:
            return _json({"error": "unknown API token or applicant"}, 401 if applicant else 404)
        return _json({"id": applicant.id, "reviewStatus": applicant.status,
                      "reviewSeq": applicant.review_seq})  # fmt: skip

    async def redeliver(request: Request) -> Response:
        applicant = found(request)
        if not authorised(request) or applicant is None:
            return _json({"error": "unknown API token or applicant"}, 401 if applicant else 404)
        for body in list(applicant.sent):
            await deliver(applicant, body)
        return _json({"redelivered": len(applicant.sent)})

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    return Starlette(
        routes=[
            Route("/applicants", create, methods=["POST"]),
            Route("/applicants/{applicant_id}", status, methods=["GET"]),
            Route("/applicants/{applicant_id}/documents", add_document, methods=["POST"]),
            Route("/applicants/{applicant_id}/review", review, methods=["POST"]),
            Route("/admin/redeliver/{applicant_id}", redeliver, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sandbox_listen.add_arguments(parser)
    parser.add_argument("--delay-ms", type=int, default=200)
    parser.add_argument("--late-ms", type=int, default=1500)
    args = parser.parse_args(argv)
    token = os.environ.get("SANDBOX_KYC_TOKEN", "")
    secret = os.environ.get("SANDBOX_KYC_WEBHOOK_SECRET", "")
    if not token or not secret:
        parser.error("SANDBOX_KYC_TOKEN and SANDBOX_KYC_WEBHOOK_SECRET must be set")
    app = create_app(token, secret, args.delay_ms, args.late_ms)
    sandbox_listen.serve(app, args)


if __name__ == "__main__":
    main()
