"""HTTP routes of KYC: upload a document, list them with the status, download one's own;
the vendor's signed webhook; and the staff review queue.

After an upload the automated decisions run (server/kyc/auto.py); when they
cannot decide and a vendor is configured, the document goes to the vendor and
its answer comes back by webhook; without a vendor, or when it fails, the
player waits in the staff queue. Every decision is pushed to the player's open
sessions (`kyc_changed`). The webhook is verified over its raw bytes before
anything is parsed; an unsigned or forged one is logged and refused
(KYC_WEBHOOK_REFUSED) and changes nothing. The staff routes are for roles
compliance and admin (server/staff/guard.py); the decision is recorded as the caller's.

An upload is the raw body (`?kind=id&filename=passport.pdf`) or multipart/form-data
with fields `kind` and `file`. The body is read up to the size limit and no
further. A download is always an attachment of `application/octet-stream`, with
`nosniff` and a sandboxing CSP, so a browser never renders it, whatever it holds.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.events import push
from server.kyc import auto, levels, records, sniff, vault, vendor
from server.kyc.review import Decision, IllegalReview
from server.kyc.upload import Upload, UploadError, parse_multipart, safe_filename
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import client_address, current_player, json_body, json_response

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/kyc/vendor/webhook"
MAX_NAME = 120
STAFF_DECISIONS = {"approve": Decision.APPROVE, "reject": Decision.REJECT, "more": Decision.MORE}

# SQLite's INTEGER range: a larger id is simply no document.
MAX_DOCUMENT_ID = 2**63 - 1
# Room for the multipart headers and boundaries around a file of the largest size.
MULTIPART_OVERHEAD = 16 * 1024

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def kyc_folder(services: Services) -> Path:
    return services.settings.data_dir / "kyc"


def _too_large(limit: int) -> Refused:
    return Refused(ErrorCode.DOCUMENT_TOO_LARGE, f"a document is at most {limit} bytes")


async def _bounded_body(request: Request, cap: int, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def _upload(request: Request, limit: int) -> Upload:
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        body = await _bounded_body(request, limit + MULTIPART_OVERHEAD, limit)
        try:
            return parse_multipart(content_type, body)
        except UploadError as error:
            raise Refused(ErrorCode.VALIDATION_FAILED, str(error)) from None
    body = await _bounded_body(request, limit, limit)
    name = request.query_params.get("filename", "")
    return Upload(request.query_params.get("kind"), safe_filename(name), body)


def _quota(services: Services) -> records.Quota:
    settings = services.settings
    return records.Quota(settings.kyc_max_documents_per_player, settings.kyc_max_bytes_per_player)


async def upload_document(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    limit = services.settings.kyc_max_document_bytes
    quota = _quota(services)
    # Before the body is read: a player at the quota costs no upload's bytes.
    await records.check_quota(services.db, player.id, quota)
    upload = await _upload(request, limit)
    if upload.kind not in records.KINDS:
        raise Refused(
            ErrorCode.VALIDATION_FAILED, "kind must be id, address or payment", field="kind"
        )
    if len(upload.data) > limit:
        raise _too_large(limit)
    if not upload.data:
        raise Refused(ErrorCode.VALIDATION_FAILED, "the document is empty", field="file")
    content_type = sniff.media_type(upload.data)
    if content_type is None:
        raise Refused(ErrorCode.UNSUPPORTED_DOCUMENT, "only PDF, JPEG and PNG files are accepted")
    document = await records.store(
        services.db, kyc_folder(services), player.id, upload.kind, content_type,
        upload.filename, upload.data, quota, vault.key_for(services.settings),
    )  # fmt: skip
    await _decide(request, services, player.id, upload)
    return json_response(
        {**document.public(), "kyc_status": await records.status(services.db, player.id)}, 201
    )


def _text(request: Request, name: str) -> str:
    return " ".join(request.query_params.get(name, "").split())[:MAX_NAME]


async def _decide(request: Request, services: Services, player_id: int, upload: Upload) -> None:
    """The automated decision on a stored upload, else the vendor's review, else the queue."""
    assert upload.kind is not None
    db = services.db
    row = await db.fetchone(
        "SELECT country, date_of_birth, username FROM players WHERE id = ?", (player_id,)
    )
    assert row is not None
    country, born, username = str(row[0]), date.fromisoformat(str(row[1])), str(row[2])
    known = await records.applicant(db, player_id)
    legal_name = _text(request, "name") or (known[1] if known else "")
    verdict = auto.decide(
        country, born, date.today(), upload.kind, legal_name, _text(request, "holder")
    )
    if verdict is not None:
        await records.apply_verdict(db, player_id, verdict, client_address(request.scope))
        await _push(services, player_id)
        return
    client: vendor.VendorClient | None = getattr(request.app.state, "kyc_vendor", None)
    if client is None:
        if legal_name and known is None:
            await records.keep_applicant(db, player_id, f"local:{player_id}", legal_name)
        return  # the staff queue
    try:
        # The configured address when there is one: the request's own comes from its Host
        # header, which a player chooses.
        hook = services.settings.kyc_webhook_url or str(request.url_for("kyc_vendor_webhook"))
        applicant_id = await client.create_applicant(
            player_id, born.isoformat(), country, legal_name or username, hook
        )
        await records.keep_applicant(db, player_id, applicant_id, legal_name)
        await client.submit_document(applicant_id, upload.kind, upload.filename, upload.data)
        await client.request_review(applicant_id, records.level_of_kind(upload.kind))
    except vendor.VendorError as error:
        log.warning("kyc vendor unavailable for player %d (staff queue): %s", player_id, error)


async def _push(services: Services, player_id: int) -> None:
    detail = await records.detail(services.db, player_id)
    try:
        await push.publish(services.redis, player_id, {"type": "kyc_changed", **detail})
    except Exception:  # a push only prompts a refresh; the status is read from the database
        log.warning("kyc push to player %d failed", player_id)


async def vendor_webhook(request: Request) -> Response:
    services: Services = request.app.state.services
    body = await request.body()
    try:
        vendor.verify(
            services.settings.kyc_webhook_secret, body,
            request.headers.get(vendor.SIGNATURE_HEADER, ""),
        )  # fmt: skip
        review = vendor.parse(body)
    except vendor.BadWebhook as refused:
        log.warning("kyc webhook refused from %s: %s", client_address(request.scope), refused)
        raise Refused(ErrorCode.KYC_WEBHOOK_REFUSED, str(refused)) from None
    player_id, outcome = await records.apply_review(
        services.db, review.event_id, review.applicant_id, review.review_seq, review.verdict
    )
    log.info("kyc webhook %s (seq %d) for %s: %s", review.event_id, review.review_seq,
             review.applicant_id, outcome)  # fmt: skip
    if outcome == "applied" and player_id is not None:
        await _push(services, player_id)
    return json_response({"outcome": outcome})


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def staff_queue(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    return json_response({"pending": await records.pending_queue(services.db)})


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def staff_decide(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    player_id = int(request.path_params["player_id"])
    decision = STAFF_DECISIONS.get(request.path_params["decision"])
    if decision is None:
        raise Refused(ErrorCode.NOT_FOUND, "the decision is approve, reject or more")
    data = await json_body(request) if await request.body() else {}
    reason = " ".join(str(data.get("reason", "")).split())
    if decision is not Decision.APPROVE and not reason:
        raise Refused(ErrorCode.VALIDATION_FAILED, "a reason is required", field="reason")
    if await services.db.fetchone("SELECT id FROM players WHERE id = ?", (player_id,)) is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such player")
    try:
        await records.review(
            services.db, player_id, decision, reason[:500], member.actor,
            client_address(request.scope),
        )  # fmt: skip
    except IllegalReview as illegal:
        raise Refused(ErrorCode.KYC_REVIEW_REFUSED, str(illegal)) from None
    await _push(services, player_id)
    return json_response({"player_id": player_id, **await records.detail(services.db, player_id)})


async def list_documents(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    found = await records.documents(services.db, player.id)
    return json_response(
        {
            "kyc_status": await records.status(services.db, player.id),
            "documents": [document.public() for document in found],
        }
    )


async def download_document(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    document_id = int(request.path_params["document_id"])
    found = None
    if 0 < document_id <= MAX_DOCUMENT_ID:
        found = await records.document(services.db, player.id, document_id)
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such document")
    data = await records.read(kyc_folder(services), found, vault.key_for(services.settings))
    # The name is ours, not the player's: nothing they sent reaches a response header.
    name = f"kyc-{found.id}.{sniff.EXTENSIONS[found.content_type]}"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **DOWNLOAD_HEADERS},
    )


async def kyc_status(request: Request) -> Response:
    services: Services = request.app.state.services
    player = await current_player(request)
    detail = await records.detail(services.db, player.id)
    return json_response(
        {**detail, "country": player.country, "needs": levels.needs(player.country)}
    )


routes = [
    Route("/api/kyc/documents", upload_document, methods=["POST"]),
    Route("/api/kyc/documents", list_documents, methods=["GET"]),
    Route("/api/kyc/documents/{document_id:int}", download_document, methods=["GET"]),
    Route("/api/kyc/status", kyc_status, methods=["GET"]),
    Route(WEBHOOK_PATH, vendor_webhook, methods=["POST"], name="kyc_vendor_webhook"),
    Route("/api/staff/kyc/queue", staff_queue, methods=["GET"]),
    Route("/api/staff/kyc/{player_id:int}/{decision:str}", staff_decide, methods=["POST"]),
]


_STATUS = {"type": "string", "enum": ["unverified", "pending", "verified", "rejected"]}
_KIND = {"type": "string", "enum": list(records.KINDS)}
_STATUS_DETAIL = {
    "kyc_status": _STATUS,
    "level": {"type": "integer", "minimum": 0, "maximum": 2},
    "reject_type": {"type": "string", "enum": ["", "FINAL", "RETRY"]},
    "reject_labels": {"type": "array", "items": {"type": "string"}},
    "message": {"type": "string"},
    "country": {"type": "string"},
    "needs": {"type": "array", "items": {"type": "object"}},
}
_DOCUMENT = {
    "document_id": {"type": "integer", "minimum": 1},
    "kind": _KIND,
    "content_type": {"type": "string", "enum": list(sniff.SIGNATURES)},
    "size": {"type": "integer", "minimum": 1},
    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "filename": {"type": "string"},
    "uploaded_at": {"type": "integer"},
}


def _upload_operation() -> dict[str, Any]:
    described = operation(
        "upload_kyc_document",
        "Upload an identity, address or payment document",
        tag="KYC",
        auth=True,
        description="The raw body with `kind` in the query, or multipart/form-data with fields"
        " `kind` and `file`. Only PDF, JPEG and PNG are accepted, judged by the bytes, up to"
        " CASINO_KYC_MAX_DOCUMENT_BYTES. A player keeps at most"
        " CASINO_KYC_MAX_DOCUMENTS_PER_PLAYER documents of CASINO_KYC_MAX_BYTES_PER_PLAYER"
        " bytes in all (DOCUMENT_QUOTA_EXCEEDED beyond, nothing stored). The player's KYC"
        " status becomes pending.",
        parameters=[
            {
                "name": "kind",
                "in": "query",
                "required": False,
                # Read for a raw body only: a multipart upload's own `kind` field wins.
                "description": "id, address or payment (raw body uploads)",
                "schema": {"type": "string"},
            },
            {"name": "filename", "in": "query", "required": False, "schema": {"type": "string"}},
        ],
        responses={
            "201": reply(
                "stored",
                obj(
                    {**_DOCUMENT, "kyc_status": _STATUS},
                    required=[*_DOCUMENT, "kyc_status"],
                ),
            )
        },
        errors=[
            ErrorCode.VALIDATION_FAILED,
            ErrorCode.UNSUPPORTED_DOCUMENT,
            ErrorCode.DOCUMENT_TOO_LARGE,
            ErrorCode.DOCUMENT_QUOTA_EXCEEDED,
            *BACKEND_ERRORS,
        ],
    )
    described["requestBody"] = {
        "required": True,
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": obj(
                    {"kind": _KIND, "file": {"type": "string", "format": "binary"}},
                    required=["kind", "file"],
                )
            },
        },
    }
    return described


OPENAPI_PATHS: dict[str, Any] = {
    "/api/kyc/documents": {
        "post": _upload_operation(),
        "get": operation(
            "list_kyc_documents",
            "The player's KYC status and documents",
            tag="KYC",
            auth=True,
            responses={
                "200": reply(
                    "the documents, oldest first",
                    obj(
                        {
                            "kyc_status": _STATUS,
                            "documents": {
                                "type": "array",
                                "items": obj(_DOCUMENT, required=list(_DOCUMENT)),
                            },
                        },
                        required=["kyc_status", "documents"],
                    ),
                )
            },
            errors=[*BACKEND_ERRORS],
        ),
    },
    "/api/kyc/documents/{document_id}": {
        "get": operation(
            "download_kyc_document",
            "Download one of the player's own documents, always as an attachment",
            tag="KYC",
            auth=True,
            parameters=[
                {
                    "name": "document_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                }
            ],
            responses={
                "200": {
                    "description": "the bytes as uploaded, as application/octet-stream",
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                }
            },
            errors=[ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
    "/api/kyc/status": {
        "get": operation(
            "kyc_status",
            "The player's KYC status and level, the last rejection, and what their country needs",
            tag="KYC",
            auth=True,
            responses={"200": reply("the status", obj(_STATUS_DETAIL, list(_STATUS_DETAIL)))},
            errors=[*BACKEND_ERRORS],
        )
    },
    WEBHOOK_PATH: {
        "post": operation(
            "kyc_vendor_webhook",
            "The KYC vendor's review webhook (signed: X-Payload-Digest, HMAC-SHA256 of the body)",
            tag="KYC",
            description="Called by the KYC vendor, not by players. Applied once per eventId and"
            " only when its reviewSeq is newer than the last applied (`outcome`: applied,"
            " duplicate, stale or unknown); an unsigned or forged call changes nothing.",
            body=obj({"eventId": {"type": "string"}}, ["eventId"]),
            responses={
                "200": reply(
                    "received",
                    obj(
                        {"outcome": {"enum": ["applied", "duplicate", "stale", "unknown"]}},
                        ["outcome"],
                    ),
                )
            },
            errors=[ErrorCode.KYC_WEBHOOK_REFUSED, *BACKEND_ERRORS],
        )
    },
    "/api/staff/kyc/queue": {
        "get": operation(
            "staff_kyc_queue",
            "Staff: the players waiting for a KYC review, oldest first",
            tag="KYC",
            description="Staff session of role compliance or admin (server/staff/guard.py).",
            responses={
                "200": reply(
                    "the queue",
                    obj({"pending": {"type": "array", "items": {"type": "object"}}}, ["pending"]),
                )
            },
            errors=[ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED, *BACKEND_ERRORS],
        )
    },
    "/api/staff/kyc/{player_id}/{decision}": {
        "post": operation(
            "staff_kyc_decide",
            "Staff: approve a pending player, reject them (final), or ask for more documents",
            tag="KYC",
            description="Staff session of role compliance or admin. `decision` is approve, reject"
            " or more; reject and more need a `reason` (for more, the player reads it).",
            parameters=[
                {
                    "name": "player_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 0},
                },
                {
                    "name": "decision",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(STAFF_DECISIONS)},
                },
            ],
            body=obj({"reason": {"type": "string"}}, []),
            responses={"200": reply("decided", obj(_STATUS_DETAIL, []))},
            errors=[
                ErrorCode.STAFF_ONLY,
                ErrorCode.STAFF_ROLE_REFUSED,
                ErrorCode.NOT_FOUND,
                ErrorCode.KYC_REVIEW_REFUSED,
                ErrorCode.VALIDATION_FAILED,
                *BACKEND_ERRORS,
            ],
        )
    },
}
