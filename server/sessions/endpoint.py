"""The WebSocket route: accepts the socket and pumps frames through a `Connection`."""

from __future__ import annotations

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.context import Services
from server.sessions.connection import Connection


async def play_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    connection = Connection(services)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if (data := message.get("bytes")) is not None:
                await websocket.send_bytes(await connection.handle(data))  # type: ignore[arg-type]
            elif (text := message.get("text")) is not None:
                await websocket.send_text(await connection.handle(text))  # type: ignore[arg-type]
    except WebSocketDisconnect:
        return


routes = [WebSocketRoute("/ws", play_socket)]
