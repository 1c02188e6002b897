"""The production generator: the operating system's CSPRNG, read in blocks.

`os.urandom` is the only entropy source in the project. Reading it in blocks
spares a system call per draw; the buffer is dropped in a forked child so two
processes can never hand out the same bytes.
"""

from __future__ import annotations

import os
import threading
import weakref

from rng.generator import Generator

DEFAULT_BLOCK = 4096

_live: weakref.WeakSet[SystemGenerator] = weakref.WeakSet()


class SystemGenerator(Generator):
    """Bytes from `os.urandom`, buffered; safe across threads and fork."""

    def __init__(self, block_size: int = DEFAULT_BLOCK) -> None:
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self._block_size = block_size
        self._buffer = b""
        self._offset = 0
        self._lock = threading.Lock()
        _live.add(self)

    def randbytes(self, n: int) -> bytes:
        if n < 0:
            raise ValueError("number of bytes must be non-negative")
        if n > self._block_size:
            return os.urandom(n)
        with self._lock:
            end = self._offset + n
            if end > len(self._buffer):
                self._buffer = os.urandom(self._block_size)
                self._offset, end = 0, n
            chunk = self._buffer[self._offset : end]
            self._offset = end
            return chunk

    def _forget(self) -> None:
        self._buffer = b""
        self._offset = 0
        self._lock = threading.Lock()


def _forget_all_after_fork() -> None:
    for generator in list(_live):
        generator._forget()


os.register_at_fork(after_in_child=_forget_all_after_fork)
