"""Where a sandbox service listens: `--port P` (and `--host H`) when run by hand, or `--fd N`,
a listening socket its parent bound and handed down (server/storage/service_child.py), so
the port cannot be taken between the parent's choosing it and the service listening."""

from __future__ import annotations

import argparse
import socket

import uvicorn
from starlette.types import ASGIApp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="listen on this port of --host")
    where.add_argument("--fd", type=int, help="listen on this inherited socket")


def inherited(args: argparse.Namespace) -> socket.socket | None:
    """The listening socket handed down with `--fd`, or None."""
    return None if args.fd is None else socket.socket(fileno=args.fd)


def serve(app: ASGIApp, args: argparse.Namespace) -> None:
    """Serve `app` with uvicorn where the arguments say, until SIGTERM or SIGINT."""
    listener = inherited(args)
    if listener is None:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        return
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listener])
