"""The wallet's Redis Lua scripts, loaded by name.

A line `--#include NAME` in a script is replaced by the script `NAME.lua`, so a rule that
several scripts must apply alike (back-pressure) is written once; Redis still receives one
self-contained script per call, as it must (a script cannot call another).
"""

from __future__ import annotations

from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

INCLUDE = "--#include "


def source(name: str) -> str:
    text = resources.files(__name__).joinpath(f"{name}.lua").read_text()
    lines = [
        source(line.removeprefix(INCLUDE).strip()) if line.startswith(INCLUDE) else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"


def register(client: aioredis.Redis, name: str) -> AsyncScript:
    return client.register_script(source(name))
