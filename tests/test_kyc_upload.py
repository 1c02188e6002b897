"""Reading an upload and judging its type: pure functions, exact bytes."""

from __future__ import annotations

import pytest

from server.kyc.sniff import media_type
from server.kyc.upload import UploadError, parse_multipart, safe_filename

BOUNDARY = "----kyc7MA4YWxkTrZu0gW"


def form(*parts: bytes) -> bytes:
    return b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + p + b"\r\n" for p in parts) + (
        b"--" + BOUNDARY.encode() + b"--\r\n"
    )


def test_a_multipart_file_keeps_its_exact_bytes() -> None:
    data = b"\x89PNG\r\n\x1a\n\r\n\n\r\x00--" + BOUNDARY[:-1].encode() + b"\r\n"
    body = form(
        b'Content-Disposition: form-data; name="kind"\r\n\r\naddress',
        b'Content-Disposition: form-data; name="file"; filename="bill.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + data,
    )
    upload = parse_multipart(f"multipart/form-data; boundary={BOUNDARY}", body)
    assert (upload.kind, upload.filename, upload.data) == ("address", "bill.png", data)


def test_a_quoted_boundary_is_understood() -> None:
    body = form(b'Content-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1')
    upload = parse_multipart(f'multipart/form-data; boundary="{BOUNDARY}"', body)
    assert (upload.kind, upload.data) == (None, b"%PDF-1")


def test_a_multipart_body_without_a_file_part_is_refused() -> None:
    body = form(b'Content-Disposition: form-data; name="kind"\r\n\r\nid')
    with pytest.raises(UploadError, match="needs a `file` part"):
        parse_multipart(f"multipart/form-data; boundary={BOUNDARY}", body)


def test_a_multipart_body_without_a_boundary_is_refused() -> None:
    with pytest.raises(UploadError, match="without a boundary"):
        parse_multipart("multipart/form-data", b"")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("passport.pdf", "passport.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\scan 1.png", "scan_1.png"),
        ('x".html\r\nX-Evil: 1', "x_.html_X-Evil_1"),
        ("..", "document"),
        ("", "document"),
    ],
)
def test_a_file_name_is_reduced_to_safe_characters(given: str, kept: str) -> None:
    assert safe_filename(given) == kept


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.4\n", "application/pdf"),
        (b"\xff\xd8\xff\xdb", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"<html>", None),
        (b"<?xml version='1.0'?><svg/>", None),
        (b"\x89PNG\r\n", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_first_bytes(data: bytes, kind: str | None) -> None:
    assert media_type(data) == kind
