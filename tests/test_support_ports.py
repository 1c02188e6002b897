"""The test kits' ports: a port is free only until something binds it, so the kits pick
ports that cannot clash with each other and start a server again on another port when its
own was taken before it could bind it."""

from __future__ import annotations

import pytest

from tests.conftest import PORT_TRIES, PortTaken, on_a_free_port
from tests.support.processes import distinct_ports


def test_the_kits_ports_are_distinct_and_never_another_nodes_bus_port() -> None:
    picks = iter([5_000, 5_000, 15_000, 7_000, 9_000])  # a port handed out twice, then a bus
    assert distinct_ports(3, lambda: next(picks)) == [5_000, 7_000, 9_000]


def test_a_start_whose_port_was_taken_is_tried_again_on_another() -> None:
    tried: list[int] = []

    def start(port: int) -> int:
        tried.append(port)
        if len(tried) < PORT_TRIES:
            raise PortTaken("Address already in use")
        return port

    assert on_a_free_port(start) == tried[-1]
    assert len(tried) == PORT_TRIES


def test_a_start_gives_up_once_every_port_it_tried_was_taken() -> None:
    def start(port: int) -> int:
        raise PortTaken("Address already in use")

    with pytest.raises(PortTaken):
        on_a_free_port(start)
