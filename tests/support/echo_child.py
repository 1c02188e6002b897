"""A child for the kit's own tests (tests/test_child_process.py), run as `python -m` by
`server/child_process.py`: it reports ready or not, echoes its settings back as reports,
then serves until stopped."""

from __future__ import annotations

import asyncio

import msgspec

from server import child_process
from server.child_process import Basics, Ready, Reporter

MODULE = "tests.support.echo_child"


class EchoSettings(msgspec.Struct, frozen=True):
    words: list[str]
    ready: bool
    basics: Basics


class Echo(msgspec.Struct, frozen=True, tag="echo"):
    word: str


Report = Ready | Echo


async def serve(settings: EchoSettings, reporter: Reporter) -> None:
    if not settings.ready:
        return  # ends before it serves, as a child whose database will not open does
    reporter.ready()
    for word in settings.words:
        reporter.send(Echo(word))
    await asyncio.Event().wait()  # until the parent stops it


if __name__ == "__main__":
    child_process.run_child(MODULE, "echo process", EchoSettings, serve)
