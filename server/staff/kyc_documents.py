"""A KYC reviewer sees a player's documents in the page (roles compliance and admin).

The staff web app keeps its session as a bearer token, which an `<img>` cannot send, and
its Content-Security-Policy (the player client's) loads images from this origin only, not
from `blob:` URLs. So a reviewer asks for a view ticket (a staff route: the role guard, an
audit entry `kyc_document_viewed`), and the page points the `<img>` at the ticket's URL.
A ticket is a random token kept in Redis as its SHA-256 only, for one document, valid
TICKET_TTL_S seconds and spent by its first use (GETDEL): a URL copied from the page or a
log opens nothing afterwards. The document is streamed decrypted with its own media type
(an image renders in the `<img>`, a PDF is an attachment), `Cache-Control: no-store`,
`nosniff` and a sandboxing CSP, as the player's own downloads.
"""

from __future__ import annotations

import hashlib
from typing import Any

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import rng
from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.audit import trail
from server.context import Services
from server.kyc import records, sniff, vault
from server.kyc.routes import DOWNLOAD_HEADERS, MAX_DOCUMENT_ID, kyc_folder
from server.staff.accounts import StaffMember
from server.staff.guard import staff_route
from server.staff.roles import Role
from server.web import client_address, json_response, path_id

TICKET_TTL_S = 60
VIEW_PATH = "/api/kyc/staff-view"
INLINE = ("image/png", "image/jpeg")  # what an <img> shows; anything else is an attachment


def _key(ticket: str) -> str:
    return f"{{kycview:{hashlib.sha256(ticket.encode()).hexdigest()}}}"


async def issue(redis: Redis, document_id: int) -> str:
    ticket = rng.token_urlsafe(32)
    await redis.set(_key(ticket), str(document_id), ex=TICKET_TTL_S)
    return ticket


async def spend(redis: Redis, ticket: str) -> int | None:
    """The document the ticket is for, once; None when unknown, expired or spent."""
    if not 20 <= len(ticket) <= 64:
        return None
    found = await redis.getdel(_key(ticket))
    return int(found) if found is not None else None


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def listing(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    player_id = path_id(request, "player_id")
    found = await records.documents(services.db, player_id) if player_id <= MAX_DOCUMENT_ID else []
    return json_response({"player_id": player_id, "documents": [d.public() for d in found]})


@staff_route(Role.COMPLIANCE, Role.ADMIN)
async def ticket(request: Request, member: StaffMember) -> Response:
    services: Services = request.app.state.services
    document_id = int(request.path_params["document_id"])
    found = (
        await records.any_document(services.db, document_id)
        if 0 < document_id <= MAX_DOCUMENT_ID
        else None
    )
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such document")
    await trail.record(
        services.db, member.actor, "kyc_document_viewed", f"player:{found.player_id}", "review",
        client_address(request.scope), {"document_id": found.id},
    )  # fmt: skip
    issued = await issue(services.redis, found.id)
    return json_response(
        {
            "url": f"{VIEW_PATH}/{issued}",
            "content_type": found.content_type,
            "expires_in_s": TICKET_TTL_S,
        }
    )


async def view(request: Request) -> Response:
    services: Services = request.app.state.services
    document_id = await spend(services.redis, str(request.path_params["ticket"]))
    found = await records.any_document(services.db, document_id) if document_id else None
    if found is None:
        raise Refused(ErrorCode.NOT_FOUND, "no such ticket: ask for a new one")
    data = await records.read(kyc_folder(services), found, vault.key_for(services.settings))
    name = f"kyc-{found.id}.{sniff.EXTENSIONS[found.content_type]}"
    disposition = "inline" if found.content_type in INLINE else "attachment"
    return Response(
        data,
        media_type=found.content_type,
        headers={"Content-Disposition": f'{disposition}; filename="{name}"', **DOWNLOAD_HEADERS},
    )


routes = [
    Route("/api/staff/kyc/{player_id}/documents", listing, methods=["GET"]),
    Route("/api/staff/kyc/documents/{document_id:int}/view", ticket, methods=["POST"]),
    Route(VIEW_PATH + "/{ticket:str}", view, methods=["GET"]),
]

_GUARD = [ErrorCode.STAFF_ONLY, ErrorCode.STAFF_ROLE_REFUSED]
_WHO = "Staff session of role compliance or admin (server/staff/guard.py)."
OPENAPI_PATHS: dict[str, Any] = {
    "/api/staff/kyc/{player_id}/documents": {
        "get": operation(
            "staff_kyc_documents", "Staff: a player's KYC documents", tag="Staff",
            description=_WHO,
            parameters=[{"name": "player_id", "in": "path", "required": True,
                         "schema": {"type": "integer", "minimum": 1}}],
            responses={"200": reply("the documents", obj({"player_id": {"type": "integer"},
                       "documents": {"type": "array"}}, ["player_id", "documents"]))},
            errors=[*_GUARD, ErrorCode.VALIDATION_FAILED, *BACKEND_ERRORS],
        )
    },
    "/api/staff/kyc/documents/{document_id}/view": {
        "post": operation(
            "staff_kyc_document_view",
            f"Staff: a one-use URL showing a KYC document, valid {TICKET_TTL_S} s (audited)",
            tag="Staff", description=_WHO,
            parameters=[{"name": "document_id", "in": "path", "required": True,
                         "schema": {"type": "integer", "minimum": 1}}],
            responses={"200": reply("the ticket's URL", obj({"url": {"type": "string"},
                       "content_type": {"type": "string"}, "expires_in_s": {"type": "integer"}},
                       ["url", "content_type", "expires_in_s"]))},
            errors=[*_GUARD, ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
    VIEW_PATH + "/{ticket}": {
        "get": operation(
            "kyc_document_by_ticket",
            "The document of a staff view ticket, once (image inline, PDF as an attachment)",
            tag="Staff",
            parameters=[{"name": "ticket", "in": "path", "required": True,
                         "schema": {"type": "string"}}],
            responses={"200": {"description": "the document's bytes, Cache-Control: no-store"}},
            errors=[ErrorCode.NOT_FOUND, *BACKEND_ERRORS],
        )
    },
}  # fmt: skip
