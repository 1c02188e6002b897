"""The sandbox services' child processes (server/storage/service_child.py) listen on a socket
their parent bound and handed down: the port is the parent's from the start, so nothing can
take it before the service listens, and a service that fails to start says which and where
its log is."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest

from server.mail.sink_child import MailSinkChild
from server.rg.register_child import SandboxRegisterChild
from server.storage.service_child import ServiceChild, health_answers


def test_a_services_port_is_held_before_the_service_starts_and_it_serves_there(
    tmp_path: Path,
) -> None:
    sink = MailSinkChild(tmp_path)
    with socket.socket() as other, pytest.raises(OSError) as taken:
        other.bind(("127.0.0.1", sink.port))
    assert taken.value.errno == errno.EADDRINUSE
    try:
        assert sink.start() == f"smtp://127.0.0.1:{sink.port}"
        with socket.create_connection(("127.0.0.1", sink.port), timeout=5) as conn:
            assert conn.recv(3) == b"220"
    finally:
        sink.stop()


def test_an_http_service_answers_its_health_on_the_handed_down_socket(tmp_path: Path) -> None:
    register = SandboxRegisterChild(tmp_path)
    try:
        assert register.start() == f"http://127.0.0.1:{register.port}"
        assert health_answers(register.url)()
    finally:
        register.stop()
    assert not health_answers(register.url)()  # stopped: refused at once, not left waiting


def test_a_service_that_exits_at_once_is_named_with_its_log(tmp_path: Path) -> None:
    broken = ServiceChild("the broken service", tmp_path / "broken.log")
    with pytest.raises(RuntimeError) as failed:
        broken.spawn("server.mail.sink", [], lambda: False)  # --dir is missing
    assert str(failed.value) == f"the broken service did not start; its log: {broken.log_path}"
    assert "the following arguments are required: --dir" in broken.log_path.read_text()
    assert broken.process is not None and broken.process.returncode == 2


def test_a_service_is_started_once(tmp_path: Path) -> None:
    sink = MailSinkChild(tmp_path)
    try:
        sink.start()
        with pytest.raises(RuntimeError, match="the sandbox mail sink was started once already"):
            sink.start()
    finally:
        sink.stop()
