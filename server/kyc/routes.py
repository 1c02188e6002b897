"""HTTP routes of KYC: upload a document, list them with the status, download one's own.

An upload is the raw body (`?kind=id&filename=passport.pdf`) or multipart/form-data
with fields `kind` and `file`. The body is read up to the size limit and no
further. A download is always an attachment of `application/octet-stream`, with
`nosniff` and a sandboxing CSP, so a browser never renders it, whatever it holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocol.errors import ErrorCode, Refused
from server.api_docs.parts import BACKEND_ERRORS, obj, operation, reply
from server.context import Services
from server.kyc import records, sniff
from server.kyc.upload import Upload, UploadError, parse_multipart, safe_filename
from server.web import current_player, json_response

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
        upload.filename, upload.data, quota,
    )  # fmt: skip
    return json_response(
        {**document.public(), "kyc_status": await records.status(services.db, player.id)}, 201
    )


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
    data = await records.read(kyc_folder(services), found)
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
    return json_response({"kyc_status": await records.status(services.db, player.id)})


routes = [
    Route("/api/kyc/documents", upload_document, methods=["POST"]),
    Route("/api/kyc/documents", list_documents, methods=["GET"]),
    Route("/api/kyc/documents/{document_id:int}", download_document, methods=["GET"]),
    Route("/api/kyc/status", kyc_status, methods=["GET"]),
]


_STATUS = {"type": "string", "enum": ["unverified", "pending", "verified", "rejected"]}
_KIND = {"type": "string", "enum": list(records.KINDS)}
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
            "The player's KYC status",
            tag="KYC",
            auth=True,
            responses={"200": reply("the status", obj({"kyc_status": _STATUS}, ["kyc_status"]))},
            errors=[*BACKEND_ERRORS],
        )
    },
}
