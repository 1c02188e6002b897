"""A client for the casino server over the wire only: HTTP for accounts and money,
one WebSocket for play. Used by the demo, the load driver and the tests."""

from __future__ import annotations

import asyncio
import itertools
from types import TracebackType
from typing import Any

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect


class ApiFailure(Exception):
    """The server refused an HTTP request; `code` is its stable error code, `params` the
    refusal's figures and the field it names (clients/wording.py words them for people)."""

    def __init__(
        self, status: int, code: str, message: str, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.params = params or {}


def figures(error: dict[str, Any]) -> dict[str, Any]:
    """An HTTP error's figures for wording it: its `params`, and the `field` it names."""
    params = error.get("params")
    found = dict(params) if isinstance(params, dict) else {}
    if isinstance(error.get("field"), str):
        found.setdefault("field", error["field"])
    return found


class CasinoClient:
    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s)
        self.token: str | None = None

    async def __aenter__(self) -> CasinoClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.aclose()

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        all_headers = dict(headers or {})
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        response = await self.http.request(method, path, json=body, headers=all_headers)
        data = response.json() if response.content else None
        if response.status_code >= 400:
            error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
            raise ApiFailure(
                response.status_code,
                error.get("code", "?"),
                error.get("message", ""),
                figures(error),
            )
        return data

    async def register(self, **fields: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", "/api/players", fields)
        return result

    async def login(self, login: str, password: str, code: str | None = None) -> str:
        """`code`: the two-factor code, when the account asks for one (TWO_FACTOR_REQUIRED)."""
        body = {"login": login, "password": password, **({"code": code} if code else {})}
        session = await self.call("POST", "/api/sessions", body)
        self.token = str(session["token"])
        return self.token

    async def logout(self) -> None:
        await self.call("DELETE", "/api/sessions/current")

    async def deposit(self, amount: int, idempotency_key: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST",
            "/api/sandbox/deposits",
            {"amount": amount},
            headers={"Idempotency-Key": idempotency_key},
        )
        return result

    async def games(self) -> list[dict[str, Any]]:
        return list((await self.call("GET", "/api/games"))["games"])

    def socket(self, binary: bool = True) -> GameSocket:
        ws_url = "ws" + self.base_url.removeprefix("http") + "/ws"
        return GameSocket(ws_url, binary)


class GameSocket:
    """One play connection. `request` sends a message with a fresh id and returns its reply."""

    def __init__(self, url: str, binary: bool = True) -> None:
        self.url = url
        self.binary = binary
        self.ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self.pushes: list[dict[str, Any]] = []  # server pushes (no `id`) received so far

    async def __aenter__(self) -> GameSocket:
        # Unbounded incoming queue: websockets stops reading a connection once max_queue
        # messages wait unread, and pushes a socket's owner is not reading (balances from
        # the player's other sessions) would then hold the server's answer to our close
        # behind them until close_timeout. Every push read meanwhile is kept in `pushes`.
        self.ws = await connect(self.url, max_size=2**20, max_queue=None)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def send_raw(self, frame: bytes | str) -> dict[str, Any]:
        """Send a frame as given and return the next reply; pushes met meanwhile are kept."""
        assert self.ws is not None, "use `async with` to open the socket"
        await self.ws.send(frame)
        while True:
            message = await self.receive()
            if "id" in message:  # replies always carry `id` (null when unreadable); pushes never
                return message
            self.pushes.append(message)

    async def receive(self) -> dict[str, Any]:
        assert self.ws is not None, "use `async with` to open the socket"
        raw = await self.ws.recv()
        decoded: dict[str, Any] = (
            msgspec.msgpack.decode(raw) if isinstance(raw, bytes) else msgspec.json.decode(raw)
        )
        return decoded

    async def next_push(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """The next server push, waiting for one if none has arrived yet."""
        if self.pushes:
            return self.pushes.pop(0)
        async with asyncio.timeout(timeout_s):
            while True:
                message = await self.receive()
                if "id" not in message:
                    return message

    def encode(self, message: dict[str, Any]) -> bytes | str:
        """A message as a frame in this socket's format (MessagePack or JSON)."""
        return (
            msgspec.msgpack.encode(message)
            if self.binary
            else msgspec.json.encode(message).decode()
        )

    async def request(self, message_type: str, **fields: Any) -> dict[str, Any]:
        """Send a request with the next id (or `id=` given) and return its reply."""
        return await self.send_raw(
            self.encode({"type": message_type, "id": next(self._ids), **fields})
        )

    async def hello(self, token: str) -> dict[str, Any]:
        return await self.request("hello", token=token)

    async def spin(self, game: str, stake: int) -> dict[str, Any]:
        return await self.request("spin", game=game, stake=stake)

    async def balance(self) -> dict[str, Any]:
        return await self.request("balance")

    async def history(self, limit: int = 20) -> dict[str, Any]:
        return await self.request("history", limit=limit)
