"""WebSocket close codes the server uses, and what a client should do on each."""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    POLICY_VIOLATION = 1008  # limits broken again and again: fix the client before reconnecting
    MESSAGE_TOO_BIG = 1009  # a frame above the hard limit (1 MiB)
    INTERNAL_ERROR = 1011  # also: no pong within the ping timeout, or a request overran
    SERVICE_RESTART = 1012  # the server is shutting down: reconnect, to another server if any
    TRY_AGAIN_LATER = 1013  # too many connections or sessions: reconnect later
    IDLE_TIMEOUT = 4002  # no request for CASINO_IDLE_TIMEOUT_SECONDS
    FORCED_LOGOUT = 4003  # the session was logged out or revoked: log in again


DESCRIPTIONS: dict[CloseCode, str] = {
    CloseCode.NORMAL: "The client or server ended the session normally.",
    CloseCode.POLICY_VIOLATION: "Too many refused frames (rate, pending, size): fix the client.",
    CloseCode.MESSAGE_TOO_BIG: "A frame above 1 MiB; the socket cannot continue.",
    CloseCode.INTERNAL_ERROR: (
        "No pong within the ping timeout, a request unanswered within the request timeout,"
        " or a server fault: reconnect (resend under the same client_session to get a reply)."
    ),
    CloseCode.SERVICE_RESTART: "The server is restarting: reconnect and resume.",
    CloseCode.TRY_AGAIN_LATER: "Too many sessions or connections: reconnect later.",
    CloseCode.IDLE_TIMEOUT: "No request for the idle timeout: reconnect when needed.",
    CloseCode.FORCED_LOGOUT: "The session was logged out or revoked: log in again.",
}
