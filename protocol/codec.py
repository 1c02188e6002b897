"""Frames to typed requests and replies to frames, for MessagePack and JSON alike.

The decoder is total: any input either becomes a typed request or raises
`ProtocolError` with a stable code and, when one could be read, the request id,
so the server can answer the exact request that was wrong. It never raises
anything else, whatever bytes arrive.

Both formats carry one schema: every request it returns re-encodes as
MessagePack. JSON can spell integers beyond 64 bits where MessagePack cannot, so
a JSON request holding one (in a free-form field such as `options`) is refused as
INVALID_FIELD; downstream code that re-encodes a request (the idempotency digest
of `server.sessions.replies`) may rely on it.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from protocol.errors import ErrorCode
from protocol.messages import REQUEST_TYPES, AnyReply, AnyRequest

DEFAULT_MAX_FRAME_BYTES = 16 * 1024

_msgpack_decoder = msgspec.msgpack.Decoder(AnyRequest)
_json_decoder = msgspec.json.Decoder(AnyRequest)
_msgpack_encoder = msgspec.msgpack.Encoder()
_json_encoder = msgspec.json.Encoder()

_MISSING = re.compile(r"missing required field `(?P<field>[^`]+)`")
_AT_PATH = re.compile(r"at `\$\.(?P<field>[A-Za-z_][A-Za-z0-9_]*)")


class ProtocolError(Exception):
    def __init__(self, code: ErrorCode, message: str, request_id: int | str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def decode_request(frame: bytes | str, max_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> AnyRequest:
    """A typed request from a binary (MessagePack) or text (JSON) frame."""
    if len(frame) > max_bytes:
        raise ProtocolError(ErrorCode.FRAME_TOO_LARGE, f"frame larger than {max_bytes} bytes")
    try:
        request: AnyRequest = (
            _json_decoder.decode(frame)
            if isinstance(frame, str)
            else _msgpack_decoder.decode(frame)
        )
    except (msgspec.DecodeError, msgspec.ValidationError) as typed_error:
        # Only the failing path pays for a second, untyped decode to say precisely what is wrong.
        raise _explain(frame, typed_error) from None
    except Exception:  # msgspec is total in practice; this keeps the promise if it is not
        raise ProtocolError(ErrorCode.BAD_FRAME, "frame could not be decoded") from None
    if isinstance(frame, str):
        _fits_msgpack(request)
    return request


def _fits_msgpack(request: AnyRequest) -> None:
    """Refuse a JSON request that MessagePack could not carry: the schema is one for both."""
    try:
        _msgpack_encoder.encode(request)
    except OverflowError:
        raise ProtocolError(
            ErrorCode.INVALID_FIELD, "an integer does not fit in 64 bits", request.id
        ) from None
    except Exception:  # none known; the decoder stays total if msgspec ever finds another
        raise ProtocolError(
            ErrorCode.INVALID_FIELD, "a value MessagePack cannot carry", request.id
        ) from None


def _explain(frame: bytes | str, typed_error: Exception) -> ProtocolError:
    try:
        raw: Any = (
            msgspec.json.decode(frame) if isinstance(frame, str) else msgspec.msgpack.decode(frame)
        )
    except Exception:
        kind = "JSON" if isinstance(frame, str) else "MessagePack"
        return ProtocolError(ErrorCode.BAD_FRAME, f"frame is not valid {kind}")
    if not isinstance(raw, dict):
        return ProtocolError(ErrorCode.BAD_FRAME, "a message must be a map")
    request_id = raw.get("id")
    if not _echoable(request_id):
        request_id = None
    message_type = raw.get("type")
    if message_type is None:
        return ProtocolError(ErrorCode.MISSING_FIELD, "missing field `type`", request_id)
    if not isinstance(message_type, str) or message_type not in REQUEST_TYPES:
        return ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown message type {str(message_type)[:64]!r}", request_id
        )
    text = str(typed_error)
    if missing := _MISSING.search(text):
        field = missing["field"]
        return ProtocolError(ErrorCode.MISSING_FIELD, f"missing field `{field}`", request_id)
    at = _AT_PATH.search(text)
    field = at["field"] if at else None
    if field == "id":
        request_id = None
    code = ErrorCode.INVALID_STAKE if field == "stake" else ErrorCode.INVALID_FIELD
    return ProtocolError(code, text if field else "invalid message", request_id)


def _echoable(request_id: object) -> bool:
    if isinstance(request_id, str):
        return len(request_id) <= 64
    return isinstance(request_id, int) and not isinstance(request_id, bool) and request_id >= 0


def encode_reply(reply: AnyReply, binary: bool) -> bytes:
    """Encode a reply in the format the client spoke: MessagePack if binary, else JSON."""
    return _msgpack_encoder.encode(reply) if binary else _json_encoder.encode(reply)
