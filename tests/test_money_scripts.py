"""Script replies are parsed once, by status and by name; no Redis needed.

The Lua sources are read as text to hold the declared shapes to what the scripts return."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from server.money import lua, scripts
from server.money.scripts import (
    PROVIDER_BET,
    RELEASE,
    RESERVE,
    SPIN,
    MalformedScriptReply,
    Script,
    ScriptReply,
    ScriptStatus,
    UnknownScriptStatus,
)

RETURN = re.compile(r"return \{(.*)\}\s*(?:--.*)?$")


def returned_tables(script: Script) -> list[list[str]]:
    """Every `return {...}` of a script's source (includes resolved), split at top-level
    commas into Lua expressions."""
    tables = []
    for line in lua.source(script.name).splitlines():
        found = RETURN.search(line.strip())
        if found:
            tables.append(_split(found.group(1)))
    return tables


def _split(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in body:
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += char in "({["
        depth -= char in ")}]"
        current += char
    return [*parts, current.strip()]


def every_status_and_shape() -> list[tuple[Script, ScriptStatus, tuple[str, ...]]]:
    return [(s, status, names) for s in scripts.ALL for status, names in s.shapes.items()]


def test_every_money_script_file_is_declared() -> None:
    files = {
        path.name.removesuffix(".lua")
        for path in resources.files(lua).iterdir()
        if path.name.endswith(".lua") and not path.name.startswith("_")
    }
    assert files == {s.name for s in scripts.ALL}


@pytest.mark.parametrize("script", scripts.ALL, ids=lambda s: s.name)
def test_every_status_a_script_returns_is_declared_for_it_with_its_length(
    script: Script,
) -> None:
    returned: dict[str, set[int]] = {}
    for table in returned_tables(script):
        status = table[0].strip("'")
        returned.setdefault(status, set()).add(len(table) - 1)
    declared = {str(status): {len(names)} for status, names in script.shapes.items()}
    assert returned == declared


@pytest.mark.parametrize(
    ("script", "status", "names"),
    every_status_and_shape(),
    ids=lambda v: v.name if isinstance(v, Script) else str(v),
)
def test_every_declared_status_parses_with_its_values_by_name(
    script: Script, status: ScriptStatus, names: tuple[str, ...]
) -> None:
    values = tuple(f"v{i}" for i in range(len(names)))
    reply = script.parse([str(status), *values])
    assert reply == ScriptReply(script.name, status, names, values)
    assert [reply.text(name) for name in names] == list(values)
    assert reply.moved is (status is ScriptStatus.OK)


def test_a_value_is_read_by_its_name_with_its_kind() -> None:
    reply = RESERVE.parse(["OK", 700, "ab01", "client", 3])
    assert (reply.integer("cash"), reply.text("server_seed"), reply.integer("nonce")) == (
        700,
        "ab01",
        3,
    )


def test_a_value_the_status_does_not_carry_is_none_when_optional() -> None:
    reply = PROVIDER_BET.parse(["REFUSED", "RS_ERROR_LIMIT_REACHED"])
    assert (reply.optional_integer("cash"), reply.text("reason")) == (
        None,
        "RS_ERROR_LIMIT_REACHED",
    )


def test_a_value_lua_ended_early_with_nil_is_none_when_optional() -> None:
    assert PROVIDER_BET.parse(["ALREADY"]).optional_integer("cash") is None


def test_reading_a_value_the_status_does_not_carry_raises_a_named_error() -> None:
    with pytest.raises(MalformedScriptReply, match="BUSY carries no 'cash'"):
        RESERVE.parse(["BUSY"]).integer("cash")


def test_reading_a_value_as_the_wrong_kind_raises_a_named_error() -> None:
    with pytest.raises(MalformedScriptReply, match="is no int"):
        SPIN.parse(["OK", "700", "1-0"]).integer("cash")
    with pytest.raises(MalformedScriptReply, match="is no text"):
        SPIN.parse(["OK", 700, 1]).text("stream_id")


def test_an_unknown_status_raises_a_named_error() -> None:
    with pytest.raises(UnknownScriptStatus, match="script reserve: unknown status 'NOPE'"):
        RESERVE.parse(["NOPE"])


def test_a_known_status_the_script_never_answers_is_unknown_to_it() -> None:
    with pytest.raises(UnknownScriptStatus, match="script release: unknown status 'BUSY'"):
        RELEASE.parse(["BUSY"])


def test_more_values_than_the_status_carries_is_malformed() -> None:
    with pytest.raises(MalformedScriptReply, match="script reserve: NO_WALLET carries"):
        RESERVE.parse(["NO_WALLET", 5])


@pytest.mark.parametrize("raw", [[], "OK", 1, None], ids=repr)
def test_a_reply_that_is_no_table_is_malformed(raw: object) -> None:
    with pytest.raises(MalformedScriptReply, match="a reply is a non-empty table"):
        RESERVE.parse(raw)
