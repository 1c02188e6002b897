"""What a document is, judged by its first bytes only (never its name or declared type).

Pure. Three formats are accepted, by their signatures; anything else (HTML,
SVG, scripts, archives, an HTML page renamed `.pdf`) is refused. A file may
still be a polyglot (a valid PNG that is also readable as HTML): that is why
downloads are never served with a type a browser would render.
"""

from __future__ import annotations

# media type -> the bytes every such file starts with
SIGNATURES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def media_type(data: bytes) -> str | None:
    """The document's media type, or None when it is none of the accepted formats."""
    for kind, signature in SIGNATURES.items():
        if data.startswith(signature):
            return kind
    return None
