"""The KYC vendor: its HTTP API (create an applicant, submit a document, ask for a review,
read the status) and its webhooks (signature, parsing). Knows the wire format, nothing else.

Modelled on Sumsub and Onfido: an applicant per player (`externalUserId` is
our player id, so creating one twice returns the first), documents sent as
bytes, a review requested for a level; the answer comes later by a webhook,
`applicantReviewed`, signed with HMAC-SHA256 over the raw body in
`X-Payload-Digest` (hex). A webhook has the vendor's `eventId` (the same on a
redelivery) and the applicant's `reviewSeq` (higher for a later review of the
same applicant), which the server dedupes and orders by. Every call carries the
vendor's API token as a bearer token (never logged).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

import httpx
import msgspec

from server.kyc.review import Answer, RejectType, Verdict

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-payload-digest"
TIMEOUT_S = 5.0


class VendorError(RuntimeError):
    """The vendor gave no usable answer: the document stays in the staff queue."""


class BadWebhook(ValueError):
    """A webhook that is unsigned, forged or not the vendor's format: nothing is applied."""


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> None:
    """BadWebhook unless `signature` is the HMAC of exactly these bytes under `secret`."""
    if not secret:
        raise BadWebhook("no webhook secret is configured (CASINO_KYC_WEBHOOK_SECRET)")
    if not signature:
        raise BadWebhook("unsigned webhook")
    if not hmac.compare_digest(sign(secret, body).encode(), signature.strip().lower().encode()):
        raise BadWebhook("webhook signature does not match its body")


class _Result(msgspec.Struct, rename="camel"):
    review_answer: str
    review_reject_type: str = ""
    reject_labels: list[str] = []
    moderation_comment: str = ""


class _Webhook(msgspec.Struct, rename="camel"):
    event_id: str
    type: str
    applicant_id: str
    level: int
    review_seq: int
    review_result: _Result


@dataclass(frozen=True, slots=True)
class Review:
    """One signed answer of the vendor, as the server applies it."""

    event_id: str
    applicant_id: str
    review_seq: int
    verdict: Verdict


def parse(body: bytes) -> Review:
    """The review a (verified) webhook body reports; BadWebhook when it is not one."""
    try:
        hook = msgspec.json.decode(body, type=_Webhook)
        answer = Answer(hook.review_result.review_answer)
        reject = RejectType(hook.review_result.review_reject_type if answer is Answer.RED else "")
    except (msgspec.DecodeError, ValueError) as error:
        raise BadWebhook(f"not a review webhook: {error}") from None
    if hook.type != "applicantReviewed" or hook.level not in (1, 2) or hook.review_seq < 1:
        raise BadWebhook("not an applicantReviewed webhook of level 1 or 2")
    if answer is Answer.RED and reject is RejectType.NONE:
        raise BadWebhook("a RED answer without FINAL or RETRY")
    result = hook.review_result
    verdict = Verdict(
        answer, hook.level, "vendor", reject, tuple(result.reject_labels),
        result.moderation_comment[:500],
    )  # fmt: skip
    return Review(hook.event_id[:128], hook.applicant_id[:128], hook.review_seq, verdict)


class VendorClient:
    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(TIMEOUT_S),
            headers={"Authorization": f"Bearer {token}"},
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        try:
            response = await self.http.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            raise VendorError(f"KYC vendor {method} {path}: {type(error).__name__}") from None
        if response.status_code >= 300:
            raise VendorError(f"KYC vendor {method} {path}: HTTP {response.status_code}")
        data = response.json()
        if not isinstance(data, dict):
            raise VendorError(f"KYC vendor {method} {path}: not a JSON object")
        return data

    async def create_applicant(
        self, player_id: int, born: str, country: str, name: str, webhook_url: str
    ) -> str:
        """The applicant id of this player (the first one when it already exists)."""
        data = await self._call(
            "POST", "/applicants",
            json={"externalUserId": str(player_id), "dob": born, "country": country,
                  "name": name, "webhookUrl": webhook_url},
        )  # fmt: skip
        return str(data["id"])

    async def submit_document(
        self, applicant_id: str, kind: str, filename: str, data: bytes
    ) -> None:
        await self._call(
            "POST", f"/applicants/{applicant_id}/documents",
            params={"kind": kind, "filename": filename}, content=data,
        )  # fmt: skip

    async def request_review(self, applicant_id: str, level: int) -> None:
        """Ask for a review of `level`; the answer comes by webhook."""
        await self._call("POST", f"/applicants/{applicant_id}/review", json={"level": level})

    async def status(self, applicant_id: str) -> dict[str, object]:
        return await self._call("GET", f"/applicants/{applicant_id}")
