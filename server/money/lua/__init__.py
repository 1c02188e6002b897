"""The wallet's Redis Lua scripts, loaded by name.

A line `--#include NAME` in a script is replaced by the script `NAME.lua`, so a rule that
several scripts must apply alike (back-pressure, the clock) is written once; Redis still
receives one self-contained script per call, as it must (a script cannot call another). Each
file is included once per script, however many of its includes name it, so an include may
include what it needs without redefining it for the script that also includes it.
"""

from __future__ import annotations

from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from server.events import lua as events_lua

INCLUDE = "--#include "
# Includes that other floors own: a money script appends its event with events' own Lua.
FOREIGN = {"_emit_event": events_lua.source}


def source(name: str, included: set[str] | None = None) -> str:
    included = set() if included is None else included
    if name in FOREIGN:
        text = FOREIGN[name]()
    else:
        text = resources.files(__name__).joinpath(f"{name}.lua").read_text()
    lines = []
    for line in text.splitlines():
        if not line.startswith(INCLUDE):
            lines.append(line)
            continue
        part = line.removeprefix(INCLUDE).strip()
        if part not in included:
            included.add(part)
            lines.append(source(part, included).rstrip("\n"))
    return "\n".join(lines) + "\n"


def register(client: aioredis.Redis, name: str) -> AsyncScript:
    return client.register_script(source(name))
