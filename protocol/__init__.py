"""The wire protocol: typed messages, their MessagePack/JSON codec and the error codes. Pure."""

from protocol.codec import DEFAULT_MAX_FRAME_BYTES, ProtocolError, decode_request, encode_reply
from protocol.errors import DESCRIPTIONS, ErrorCode
from protocol.messages import PROTOCOL_VERSION, SUPPORTED_VERSIONS

__all__ = [
    "DEFAULT_MAX_FRAME_BYTES",
    "DESCRIPTIONS",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "ErrorCode",
    "ProtocolError",
    "decode_request",
    "encode_reply",
]
