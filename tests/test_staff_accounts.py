"""Staff accounts (server/staff/accounts.py): created by `run.py staff add`, logged in with
password and a TOTP or recovery code, sessions that expire and end, and lock-out."""

from __future__ import annotations

import time

import httpx

from tests.conftest import ServerProcess
from tests.support import db as test_db
from tests.support.staff import PASSWORD, add_staff, bearer, login, staff_command


def _login(server: ServerProcess, name: str, password: str, code: str) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/api/staff/login",
        json={"name": name, "password": password, "code": code},
    )


def _error(reply: httpx.Response) -> tuple[int, str]:
    return reply.status_code, reply.json()["error"]["code"]


def test_adding_a_member_prints_the_secret_and_ten_codes_and_keeps_neither_readable(
    casino: ServerProcess,
) -> None:
    member = add_staff(casino.database_path, "support")
    [(sealed, role)] = test_db.query(
        casino.database_path,
        "SELECT totp_secret, role FROM staff_accounts WHERE name = ?",
        (member.name,),
    )
    hashes = [
        row[0]
        for row in test_db.query(
            casino.database_path,
            "SELECT code_hash FROM staff_recovery_codes r JOIN staff_accounts a"
            " ON a.id = r.staff_id WHERE a.name = ?",
            (member.name,),
        )
    ]
    assert (len(member.secret), len(member.recovery_codes), role) == (20, 10, "support")
    assert sealed.startswith("v1:") and len(hashes) == 10
    assert not set(member.recovery_codes) & set(hashes)


def test_a_login_with_password_and_totp_code_opens_a_session_of_the_members_role(
    casino: ServerProcess,
) -> None:
    member = add_staff(casino.database_path, "compliance")
    reply = _login(casino, member.name, PASSWORD, member.code())
    assert reply.status_code == 200
    body = reply.json()
    me = httpx.get(f"{casino.base_url}/api/staff/me", headers=bearer(body["token"])).json()
    assert (me["name"], me["role"], body["role"]) == (member.name, "compliance", "compliance")


def test_a_session_expires_eight_hours_after_the_login_by_default(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "risk")
    before = int(time.time() * 1000)
    reply = _login(casino, member.name, PASSWORD, member.code())
    after = int(time.time() * 1000)
    assert before + 28_800_000 <= reply.json()["expires_at"] <= after + 28_800_000


def test_an_expired_session_is_refused(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "finance")
    token = login(casino.base_url, member)
    test_db.execute(
        casino.database_path,
        "UPDATE staff_sessions SET expires_at = ? WHERE staff_id ="
        " (SELECT id FROM staff_accounts WHERE name = ?)",
        (int(time.time() * 1000) - 1, member.name),
    )
    reply = httpx.get(f"{casino.base_url}/api/staff/me", headers=bearer(token))
    assert _error(reply) == (401, "STAFF_ONLY")


def test_logout_ends_the_session_at_once(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    token = login(casino.base_url, member)
    out = httpx.post(f"{casino.base_url}/api/staff/logout", headers=bearer(token))
    reply = httpx.get(f"{casino.base_url}/api/staff/me", headers=bearer(token))
    assert (out.status_code, _error(reply)) == (200, (401, "STAFF_ONLY"))


def test_a_wrong_password_and_a_wrong_code_get_the_same_answer(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    wrong_password = _login(casino, member.name, "not-the-password", member.code())
    wrong_code = _login(casino, member.name, PASSWORD, member.code(time.time() - 3600))
    unknown = _login(casino, "nobody-" + member.name, PASSWORD, member.code())
    assert _error(wrong_password) == _error(wrong_code) == _error(unknown) == (
        401, "INVALID_CREDENTIALS",
    )  # fmt: skip


def test_a_totp_code_opens_one_session_only(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    code = member.code()
    first = _login(casino, member.name, PASSWORD, code)
    again = _login(casino, member.name, PASSWORD, code)
    assert (first.status_code, _error(again)) == (200, (401, "INVALID_CREDENTIALS"))


def test_a_recovery_code_stands_in_for_the_totp_code_once(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    code = member.recovery_codes[3]
    first = _login(casino, member.name, PASSWORD, code)
    again = _login(casino, member.name, PASSWORD, code)
    assert (first.status_code, _error(again)) == (200, (401, "INVALID_CREDENTIALS"))


def test_five_failures_lock_the_name_even_against_the_right_password_and_code(
    casino: ServerProcess,
) -> None:
    member = add_staff(casino.database_path, "admin")
    for _ in range(5):
        _login(casino, member.name, "not-the-password", "123456")
    locked = _login(casino, member.name, PASSWORD, member.code())
    assert _error(locked) == (429, "LOGIN_LOCKED")


def test_a_disabled_member_loses_their_session_and_their_login(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    token = login(casino.base_url, member, member.recovery_codes[0])
    done = staff_command(casino.database_path, "disable", member.name)
    reply = httpx.get(f"{casino.base_url}/api/staff/me", headers=bearer(token))
    again = _login(casino, member.name, PASSWORD, member.recovery_codes[1])
    assert (done.returncode, _error(reply)) == (0, (401, "STAFF_ONLY"))
    assert _error(again) == (401, "INVALID_CREDENTIALS")


def test_the_command_refuses_a_short_password_and_a_taken_name(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    short = staff_command(casino.database_path, "add", "shorty", "--role", "support", stdin="x\n")
    taken = staff_command(
        casino.database_path, "add", member.name, "--role", "admin", stdin=PASSWORD + "\n"
    )
    assert (short.returncode, "WEAK_PASSWORD" in short.stderr) == (1, True)
    assert (taken.returncode, "USERNAME_TAKEN" in taken.stderr) == (1, True)


def test_logins_are_on_the_audit_trail_without_password_or_code(casino: ServerProcess) -> None:
    member = add_staff(casino.database_path, "support")
    code = member.code()
    login(casino.base_url, member, code)
    rows = test_db.query(
        casino.database_path,
        "SELECT actor, action, address, details, reason FROM audit_trail WHERE subject = ?"
        " ORDER BY id",
        (f"staff:{member.name}",),
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("staff:cli", "staff_created", "cli"),
        (f"staff:{member.name}", "staff_login", "127.0.0.1"),
    ]
    assert not any(PASSWORD in str(r) or code in str(r) for r in rows)
