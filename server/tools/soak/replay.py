"""A fuzz finding as a file: the seed of the generator and every frame of the sequence
that broke a promise, whole, so that `run.py soak --replay FILE` sends them again.

A frame is kept exactly as it went on the wire, except for the placeholders of
`frames` (`$ROUND`, `$TOKEN`): a message is stored before they are filled in, so
a replay sends it with its own player's token and open round, and no token of a
soak player is ever written down. Binary frames are stored in base64, text
frames as JSON strings (which keep lone surrogates, NaN and integers of any
size). The file never holds anything a replay would execute: it is plain JSON.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from server.tools.soak.frames import ROUND, TOKEN, Draft

FORMAT = "casino-soak-finding/1"


@dataclass(frozen=True)
class Record:
    seed: int | None  # of the fuzz run that found it (None: not from a seeded run)
    finding: str
    drafts: tuple[Draft, ...]  # in the order they were sent; the last one broke a promise


def write(path: Path, record: Record) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "seed": record.seed,
        "finding": record.finding,
        "frames": [_entry(draft) for draft in record.drafts],
    }
    path.write_text(json.dumps(document, indent=1) + "\n")
    return path


def read(path: Path) -> Record:
    """The record in `path`; ValueError says what is wrong with a file that is not one."""
    try:
        document = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a soak finding ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a soak finding (format {FORMAT!r} expected)")
    frames = document.get("frames")
    if not isinstance(frames, list) or not frames:
        raise ValueError(f"{path}: no frames to replay")
    seed = document.get("seed")
    return Record(
        seed=seed if isinstance(seed, int) else None,
        finding=str(document.get("finding", "")),
        drafts=tuple(_draft(entry, path) for entry in frames),
    )


def _entry(draft: Draft) -> dict[str, Any]:
    frame = draft.render(ROUND, TOKEN)  # the placeholders stay: a replay fills in its own
    fill = draft.message is not None
    if isinstance(frame, bytes):
        return {"binary": base64.b64encode(frame).decode("ascii"), "fill": fill}
    return {"text": frame, "fill": fill}


def _draft(entry: object, path: Path) -> Draft:
    """The draft that renders the stored frame again (a message: with new placeholders)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("fill"), bool):
        raise ValueError(f"{path}: a frame is not {{binary|text, fill}}: {entry!r:.80}")
    try:
        if isinstance(entry.get("binary"), str):
            data = base64.b64decode(entry["binary"], validate=True)
            if entry["fill"]:
                return Draft(message=_map(msgspec.msgpack.decode(data)), binary=True)
            return Draft(raw=data)
        if isinstance(entry.get("text"), str):
            if entry["fill"]:
                # The standard library's json, as `frames.encode` wrote it: NaN and infinities.
                return Draft(message=_map(json.loads(entry["text"])), binary=False)
            return Draft(raw=entry["text"])
    except ValueError as error:  # base64, MessagePack and JSON errors are all ValueErrors
        raise ValueError(f"{path}: a frame does not decode: {error}") from None
    raise ValueError(f"{path}: a frame has neither binary nor text: {entry!r:.80}")


def _map(message: object) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise ValueError("a message to fill in is not a map")
    return message
