"""The ceiling for the WebSocket layer: a bare Starlette echo on the same uvicorn stack
(websockets-sansio, httptools, uvloop) as the real server. `run.py bench` drives it."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if (data := message.get("bytes")) is not None:
                await websocket.send_bytes(data)
            elif (text := message.get("text")) is not None:
                await websocket.send_text(text)
    except WebSocketDisconnect:
        return


app = Starlette(routes=[WebSocketRoute("/ws", echo)])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        ws="websockets-sansio",
        http="httptools",
        loop="uvloop",
        log_level="warning",
    )
