"""The production generator: os.urandom in blocks, shared safely across threads and fork."""

from __future__ import annotations

import os
import threading

import pytest

import rng
from rng.system import SystemGenerator


def test_randbytes_returns_exactly_the_bytes_asked_for() -> None:
    generator = SystemGenerator(block_size=16)
    sizes = (0, 1, 15, 16, 17, 1000)
    assert [len(generator.randbytes(n)) for n in sizes] == list(sizes)


def test_consecutive_draws_do_not_repeat_buffered_bytes() -> None:
    generator = SystemGenerator(block_size=64)
    chunks = [generator.randbytes(8) for _ in range(64)]
    assert len(set(chunks)) == 64


def test_negative_sizes_and_blocks_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        SystemGenerator().randbytes(-1)
    with pytest.raises(ValueError, match="positive"):
        SystemGenerator(block_size=0)


def test_threads_never_receive_the_same_bytes() -> None:
    generator = SystemGenerator(block_size=256)
    seen: list[bytes] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [generator.randbytes(16) for _ in range(200)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 800


def test_a_forked_child_does_not_replay_the_parents_buffer() -> None:
    rng.randbytes(1)  # make sure the shared buffer holds unread bytes
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next bytes and leave at once
        os.write(writer, rng.randbytes(32))
        os._exit(0)
    os.close(writer)
    child = os.read(reader, 32)
    os.close(reader)
    os.waitpid(pid, 0)
    assert child != rng.randbytes(32)


def test_module_functions_are_bound_to_the_one_system_generator() -> None:
    assert rng.randbelow == rng.system.randbelow
    assert rng.shuffle == rng.system.shuffle
