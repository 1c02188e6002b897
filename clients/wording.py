"""The sentence a player reads for a refusal, from the one wording table both clients share.

The server sends a stable code, a `message` for developers and, when the refusal has figures
(limits, amounts, currency, minutes), a `params` object. The table, clients/web/messages.json,
lists for each code its sentences from most to least specific; the browser reads the same file
(clients/web/js/messages.js), so the terminal and the page say the same thing. The rules:
take the first sentence whose `when` (if it has one) is `params["variant"]` and whose
placeholders all have a value in `params`; `{name:money}` is an amount in minor units shown in
major units with `params["currency"]`, `{name:minutes}` and `{name:seconds}` a count with its
unit, `{name:words}` an API name in words. A refusal's `field` (the request field at fault)
counts as a parameter too. A sentence with a `place` (`form`: the browser's notice under the
cashier form that was refused) is for that place only, so the terminal passes over it. A code
the table does not know (a newer server) falls back to the server's message.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from clients.terminal_view import money

TABLE_PATH = Path(__file__).resolve().parent / "web" / "messages.json"
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
FORMATS = ("money", "minutes", "seconds", "words")


@cache
def table() -> dict[str, list[str | dict[str, str]]]:
    codes: dict[str, list[str | dict[str, str]]] = json.loads(TABLE_PATH.read_text("utf-8"))[
        "codes"
    ]
    return codes


def _count(value: int, unit: str) -> str:
    return f"{value} {unit}" if value == 1 else f"{value} {unit}s"


def _value(name: str, kind: str | None, params: dict[str, Any]) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, bool):
        return None
    if kind is None:
        return str(value)
    if kind == "words":  # an API name for people: date_of_birth -> date of birth
        return str(value).replace("_", " ")
    if not isinstance(value, int):
        return None
    if kind == "money":
        currency = params.get("currency")
        return money(value, currency) if isinstance(currency, str) else None
    return _count(value, kind.removesuffix("s"))


def fill(template: str, params: dict[str, Any]) -> str | None:
    """`template` with its placeholders filled from `params`; None when one has no value."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        text = _value(match.group(1), match.group(2), params)
        if text is None:
            missing = True
            return ""
        return text

    filled = PLACEHOLDER.sub(one, template)
    return None if missing else filled


def sentence(code: str, params: dict[str, Any] | None = None, fallback: str = "") -> str:
    """What to tell the player about a refusal with `code` and `params`."""
    given = params or {}
    for entry in table().get(code, []):
        when, template = (
            (None, entry) if isinstance(entry, str) else (entry.get("when"), entry["text"])
        )
        if when is not None and when != given.get("variant"):
            continue
        if isinstance(entry, dict) and "place" in entry:  # a browser place the terminal lacks
            continue
        filled = fill(template, given)
        if filled is not None:
            return filled
    return fallback or code


def of_reply(reply: dict[str, Any]) -> str:
    """The sentence for an error frame or an HTTP error object (`code`, `message`, `params`,
    and `field` when the refusal names one)."""
    params = reply.get("params")
    given = {**(params if isinstance(params, dict) else {})}
    if isinstance(reply.get("field"), str):
        given.setdefault("field", reply["field"])
    return sentence(str(reply.get("code")), given, str(reply.get("message") or ""))


def told(code: str, params: dict[str, Any] | None = None, message: str = "") -> str:
    """The sentence with its code after it, as the terminal prints a refusal: the words for
    the player, the code for whoever they ask for help."""
    return f"{sentence(code, params, message)} ({code})"
