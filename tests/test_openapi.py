"""The whole HTTP API's OpenAPI document: complete, strict, and assembled from the route modules."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.core.result import Err
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute

from protocol.errors import ErrorCode
from server.api_docs.document import DocumentConflict, document
from server.api_docs.parts import error_replies, operation, reply
from server.app import routes
from tests.conftest import ServerProcess


def _served_operations() -> set[tuple[str, str]]:
    found = set()
    for route in routes():
        if isinstance(route, Mount | WebSocketRoute):
            continue  # the web client's files and /ws are not the HTTP API
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":  # Starlette adds HEAD to every GET
                found.add((method.lower(), route.path_format))
    return found


@pytest.fixture(scope="module")
def served_document(casino: ServerProcess) -> dict[str, Any]:
    reply = httpx.get(f"{casino.base_url}/openapi.json", timeout=10)
    assert reply.status_code == 200
    data: dict[str, Any] = reply.json()
    return data


def test_every_route_of_the_app_is_in_the_served_document(
    served_document: dict[str, Any],
) -> None:
    described = {
        (method, path)
        for path, operations in served_document["paths"].items()
        for method in operations
    }
    missing = _served_operations() - described
    assert not missing, f"routes without an OpenAPI description: {sorted(missing)}"


def test_the_document_describes_no_route_the_app_lacks(served_document: dict[str, Any]) -> None:
    described = {
        (method, path)
        for path, operations in served_document["paths"].items()
        for method in operations
    }
    assert described - _served_operations() == set()


def test_the_document_is_openapi_3_1_that_schemathesis_loads_whole(
    served_document: dict[str, Any],
) -> None:
    assert served_document["openapi"] == "3.1.0"
    schema = schemathesis.openapi.from_dict(served_document)
    results = list(schema.get_all_operations())
    errors = [result.err() for result in results if isinstance(result, Err)]
    assert errors == []
    assert len(results) == sum(len(ops) for ops in served_document["paths"].values())


def test_the_provider_wallet_calls_are_merged_from_the_provider_document(
    served_document: dict[str, Any],
) -> None:
    bet = served_document["paths"]["/provider/transaction/bet"]["post"]
    assert bet["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BetRequest"
    }
    assert {"BetRequest", "WalletReply", "RoundSummary", "Error"} <= set(
        served_document["components"]["schemas"]
    )


def test_a_deposit_request_is_described_with_its_types_and_bounds(
    served_document: dict[str, Any],
) -> None:
    deposit = served_document["paths"]["/api/sandbox/deposits"]["post"]
    body = deposit["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["amount"]
    assert body["properties"]["amount"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100_000_000,
    }
    assert deposit["parameters"][0]["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
    }
    assert deposit["security"] == [{"bearer": []}]
    assert sorted(deposit["responses"]) == [
        "200", "201", "400", "401", "403", "409", "413", "415", "422", "503"
    ]  # fmt: skip


def test_each_error_status_names_exactly_the_codes_sent_with_it(
    served_document: dict[str, Any],
) -> None:
    responses = served_document["paths"]["/api/players"]["post"]["responses"]

    def codes(status: str) -> list[str]:
        schema = responses[status]["content"]["application/json"]["schema"]
        found: list[str] = schema["properties"]["error"]["properties"]["code"]["enum"]
        return found

    assert codes("409") == ["EMAIL_TAKEN", "USERNAME_TAKEN"]
    assert codes("422") == ["VALIDATION_FAILED", "WEAK_PASSWORD", "UNDERAGE"]
    assert codes("400") == ["BAD_FRAME"]
    assert codes("413") == ["FRAME_TOO_LARGE"]
    assert codes("415") == ["UNSUPPORTED_MEDIA_TYPE"]


def test_an_error_reply_is_given_the_status_the_server_sends_for_its_code() -> None:
    codes = [ErrorCode.INVALID_TOKEN, ErrorCode.NOT_FOUND, ErrorCode.IDEMPOTENCY_CONFLICT]
    assert sorted(error_replies(codes)) == ["401", "404", "409"]


def _endpoint_of(
    module_name: str, paths: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint defined in a routes module stating `paths` as its OPENAPI_PATHS."""
    module = ModuleType(module_name)
    module.OPENAPI_PATHS = paths  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module_name, module)

    async def endpoint(request: Request) -> Response:
        return Response()

    endpoint.__module__ = module_name
    return endpoint


def test_a_routes_module_contributes_its_own_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    described = {
        "get": operation("example", "An example", tag="Examples", responses={"200": reply("ok")})
    }
    endpoint = _endpoint_of("server.example_routes", {"/api/example": described}, monkeypatch)
    found = document([Route("/api/example", endpoint, methods=["GET"])])
    assert found["paths"] == {"/api/example": described}


def test_two_modules_describing_one_operation_differently_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _endpoint_of("server.first_routes", {"/x": {"get": {"summary": "one"}}}, monkeypatch)
    second = _endpoint_of("server.second_routes", {"/x": {"get": {"summary": "two"}}}, monkeypatch)
    with pytest.raises(DocumentConflict, match="GET /x described twice"):
        document([Route("/x", first), Route("/x", second)])
