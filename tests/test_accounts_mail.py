"""Mail: the templates in two languages, sending through SMTP with STARTTLS and a login
(against an aiosmtpd server that demands both), the sink's store and `run.py mail`."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server import cli
from server.mail.sink import Store
from server.mail.sink_child import directory
from server.mail.smtp import Mailer, SmtpServer, message
from server.mail.templates import render
from server.storage.redis_child import free_port


def test_a_template_renders_text_and_html_with_the_link() -> None:
    mail = render(
        "reset_password",
        "en",
        "a@example.com",
        username="ann",
        link="https://c/?reset=t",
        minutes="15",
    )
    assert mail.subject == "Reset your password"
    assert "https://c/?reset=t" in mail.text and "15 minutes" in mail.text
    assert '<a href="https://c/?reset=t">https://c/?reset=t</a>' in mail.html


def test_a_german_player_gets_the_german_template() -> None:
    mail = render("password_changed", "de", "a@example.com", username="ann")
    assert mail.subject == "Ihr Passwort wurde geändert"


def test_a_language_without_templates_falls_back_to_english() -> None:
    assert render("password_changed", "fr", "a@x.com", username="ann").subject == (
        "Your password was changed"
    )


def test_values_are_escaped_in_the_html_part() -> None:
    mail = render(
        "new_device", "en", "a@x.com", username="<b>x</b>", device="<script>", address="1"
    )
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<script>" in mail.text  # plain text shows what was sent


def test_an_smtp_url_names_host_port_and_credentials() -> None:
    server = SmtpServer.parse("smtp://mailer%40casino:p%3Ass@mail.example:2525")
    assert (server.host, server.port, server.implicit_tls) == ("mail.example", 2525, False)
    assert (server.user, server.password) == ("mailer@casino", "p:ss")
    assert SmtpServer.parse("smtps://mail.example").port == 465


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )  # fmt: skip
    return cert_path, key_path


class _Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[Any, bytes]] = []

    async def handle_DATA(self, server: object, session: Any, envelope: Any) -> str:
        self.received.append((session.auth_data, bytes(envelope.content)))
        return "250 OK"


def _authenticator(server: object, session: object, envelope: object, mechanism: str,
                   data: Any) -> AuthResult:  # fmt: skip
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"s3cret")
    return AuthResult(success=ok, auth_data=data.login if ok else None)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, _Inbox, ssl.SSLContext]]:
    cert, key = _certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    inbox = _Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="localhost", port=port, tls_context=server_tls, require_starttls=True,
        auth_require_tls=True, authenticator=_authenticator,
    )  # fmt: skip
    controller.start()
    yield port, inbox, client_tls
    controller.stop()


async def test_mail_goes_through_starttls_and_a_login(
    tls_server: tuple[int, _Inbox, ssl.SSLContext],
) -> None:
    port, inbox, client_tls = tls_server
    mailer = Mailer(f"smtp://mailer:s3cret@localhost:{port}", "casino@example.com", tls=client_tls)
    await mailer.send(render("password_changed", "en", "ann@example.com", username="ann"))
    ((login, raw),) = inbox.received
    assert login == b"mailer"
    assert b"Subject: Your password was changed" in raw


def test_the_sink_keeps_messages_newest_first_with_their_links(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for name in ("ann", "bob"):
        mail = render(
            "verify_email",
            "en",
            f"{name}@x.com",
            username=name,
            link=f"http://h/?verify={name}",
            hours="24",
        )
        store.keep(bytes(message(mail, "casino@x.com")))
    found = store.messages()
    assert [m.to for m in found] == ["bob@x.com", "ann@x.com"]
    assert found[0].links == ["http://h/?verify=bob"]
    assert [m.to for m in store.messages(to="ANN@x.com")] == ["ann@x.com"]


def test_run_py_mail_lists_the_sink_s_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASINO_DATA_DIR", str(tmp_path))
    mail = render(
        "reset_password",
        "en",
        "ann@x.com",
        username="ann",
        link="http://h/?reset=abc",
        minutes="15",
    )
    Store(directory(tmp_path)).keep(bytes(message(mail, "casino@x.com")))
    assert cli.main(["mail"]) == 0
    out = capsys.readouterr().out
    assert "to ann@x.com" in out and "Subject: Reset your password" in out
    assert "http://h/?reset=abc" in out
