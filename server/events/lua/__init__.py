"""Lua for scripts that emit events: `_emit_event.lua`, for money's scripts to include.

A script that changes a player's keys appends its event to the player's shard stream in
the same call (the stream shares the player's hash tag), in the JSON shape that
`server/events/catalogue.py` decodes, trimmed to the same length as every other append; and
a copy of it to the shard's push stream when it calls for a push.
"""

from __future__ import annotations

from importlib import resources

from server.events.stream import MAX_LENGTH, PUSH_MAX_LENGTH


def source(name: str = "_emit_event") -> str:
    text = resources.files(__name__).joinpath(f"{name}.lua").read_text()
    return text.replace("@MAX_LENGTH@", str(MAX_LENGTH)).replace(
        "@PUSH_MAX_LENGTH@", str(PUSH_MAX_LENGTH)
    )
