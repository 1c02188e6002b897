"""The lean WebSocket protocol's two stand-ins for asyncio's Queue and Event: the same
order and wake-ups as the originals, for the one reader and the senders uvicorn has."""

from __future__ import annotations

import asyncio

from server.lean_websocket import Inbox, Writable


async def test_the_inbox_hands_messages_over_in_the_order_they_came() -> None:
    inbox = Inbox()
    inbox.put_nowait({"type": "websocket.connect"})
    inbox.put_nowait({"type": "websocket.receive", "bytes": b"1"})
    first, second = await inbox.get(), await inbox.get()
    assert (first["type"], second) == (
        "websocket.connect",
        {"type": "websocket.receive", "bytes": b"1"},
    )
    assert inbox.empty()


async def test_a_reader_waiting_on_an_empty_inbox_wakes_on_the_next_message() -> None:
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert await asyncio.wait_for(reader, 1) == {"type": "websocket.disconnect", "code": 1000}


async def test_a_send_passes_at_once_while_the_transport_is_writable() -> None:
    writable = Writable()
    assert writable.is_set()
    assert await writable.wait() is True


async def test_every_send_waiting_for_a_slow_reader_resumes_when_writing_may_go_on() -> None:
    writable = Writable()
    writable.clear()
    senders = [asyncio.create_task(writable.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert [sender.done() for sender in senders] == [False, False]
    writable.set()
    assert await asyncio.wait_for(asyncio.gather(*senders), 1) == [True, True]


async def test_a_cancelled_send_is_forgotten_and_does_not_stop_the_others() -> None:
    writable = Writable()
    writable.clear()
    cancelled = asyncio.create_task(writable.wait())
    kept = asyncio.create_task(writable.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    writable.set()
    assert await asyncio.wait_for(kept, 1) is True
    assert cancelled.cancelled()
