"""An uploaded document out of an HTTP body: raw bytes, or one file in multipart/form-data.

Pure. The multipart reader is deliberately small: it takes the boundary from
the Content-Type, splits on it, and returns the exact bytes of each part (no
line-ending or charset conversion can alter a scan). A player's file name is
kept only for display, reduced to letters, digits, `.`, `_` and `-`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARY = re.compile(r'boundary="?([0-9A-Za-z\'()+_,./:=? -]{1,70})"?', re.I)
_PARAM = re.compile(r';\s*(name|filename)="([^"]*)"', re.I)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FILENAME = 100


class UploadError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Upload:
    kind: str | None
    filename: str
    data: bytes


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")[:MAX_FILENAME]
    return cleaned or "document"


def parse_multipart(content_type: str, body: bytes) -> Upload:
    """The `kind` field and the `file` part of a multipart/form-data body."""
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise UploadError("multipart body without a boundary")
    delimiter = b"--" + found.group(1).strip().encode("ascii")
    fields: dict[str, tuple[str | None, bytes]] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise UploadError("a multipart part has no headers")
        params = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                params = {key.lower(): text for key, text in _PARAM.findall(value)}
        if "name" in params:
            fields[params["name"]] = (params.get("filename"), content.removesuffix(b"\r\n"))
    if "file" not in fields:
        raise UploadError("the multipart body needs a `file` part")
    filename, data = fields["file"]
    kind = fields.get("kind", (None, b""))[1].decode("utf-8", "replace").strip() or None
    return Upload(kind, safe_filename(filename or ""), data)
