"""The terminal client's safer-gambling side: limits, reality checks, time-out and
self-exclusion in text, as the browser's "Safer gambling" screen offers them.

The menu (`s` in the lobby) reads and changes the player's settings through the
server's `/api/rg` routes; the pushes it answers (a reality check, a session ended
for a limit or an exclusion) are noted as they arrive and answered before the next
step: a reality check holds every bet until the player acknowledges it. The session's
elapsed time and net position are shown in the lobby's heading when the server sends
them (the player's jurisdiction asks for it). Every rule is the server's; this module
only shows what the server says and asks what it needs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clients import terminal_view as view
from clients import wording
from clients.api import ApiFailure, figures

if TYPE_CHECKING:
    from clients.terminal_session import Player

Ask = Callable[..., Awaitable[str]]

LIMITS = {
    "1": ("deposit_24h", "deposits in 24 hours"),
    "2": ("deposit_7d", "deposits in 7 days"),
    "3": ("deposit_30d", "deposits in a month"),
    "4": ("loss_24h", "losses in 24 hours"),
    "5": ("loss_7d", "losses in 7 days"),
    "6": ("loss_30d", "losses in a month"),
    "7": ("session_minutes", "session length"),
}
TIME_OUTS = {"1": (24, "24 hours"), "2": (168, "1 week"), "3": (1008, "6 weeks")}
EXCLUSIONS = {"1": (6, "6 months"), "2": (12, "1 year"), "3": (60, "5 years")}
ENDED = {
    "time_out": "you started a time-out: no play or deposits until it ends",
    "self_exclusion": "you excluded yourself: no play or deposits until your self-exclusion ends",
    "session_time_limit": "you reached the session length you set",
}
TIME_OUT_CONSEQUENCES = (
    "For {length} you cannot play, bet or deposit: on our games and on every provider's game.",
    "Every session you have open ends now, on every device.",
    "You can still log in to see your balance and withdraw what is in your account.",
    "A time-out cannot be ended early.",
)
EXCLUSION_CONSEQUENCES = (
    "For {length} you cannot play, bet or deposit: on our games and on every provider's game.",
    "Every session you have open ends now, on every device, and we send you no marketing.",
    "You can still log in to see your balance and withdraw what is in your account.",
    "A self-exclusion cannot be undone early, for any reason.",
    "To exclude yourself from every UK-licensed site at once, register with GAMSTOP.",
)


def ended_text(reason: str) -> str:
    return ENDED.get(reason, reason)


def duration_text(ms: int) -> str:
    seconds = max(0, ms // 1000)
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds % 60:02d} s"
    return f"{seconds} s"


def when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def is_safer_push(push: dict[str, Any]) -> bool:
    return push.get("type") in ("reality_check", "session_ended")


def note(player: Player, push: dict[str, Any]) -> None:
    """Keep what a push says for the next step (a reality check to answer, the figures)."""
    figures = push.get("session")
    if push.get("type") == "reality_check":
        player.safer["reality_check"] = push
        figures = push
    if isinstance(figures, dict) and isinstance(figures.get("elapsed_ms"), int):
        started = time.monotonic() - figures["elapsed_ms"] / 1000
        player.safer["figures"] = (started, int(figures.get("net", 0)))


def figures_text(player: Player) -> str:
    """'session 12 min 03 s · net -4.00 GBP', or '' when the server sent no figures."""
    if "figures" not in player.safer:
        return ""
    started, net = player.safer["figures"]
    elapsed = int((time.monotonic() - started) * 1000)
    return f"session {duration_text(elapsed)} · net {player.money(net)}"


async def answer_reality_check(player: Player, ask: Ask) -> bool:
    """Show a pending reality check and acknowledge it; False when the player quits."""
    check = player.safer.pop("reality_check", None)
    if check is None:
        return True
    net = view.money(int(check.get("net", 0)), str(check.get("currency") or player.currency))
    player.say(
        f"Reality check: you have been playing for {duration_text(int(check['elapsed_ms']))};"
        f" your net position this session is {net} (wins minus stakes). Bets are on hold.",
        "bold yellow",
    )
    choice = await ask("c) keep playing  q) quit", choices=["c", "q"], default="c")
    if choice == "q":
        return False
    await player.request("reality_check_ack")
    return True


async def _api(player: Player, method: str, path: str, body: Any = None) -> dict[str, Any]:
    response = await player.client.http.request(
        method, path, json=body, headers={"Authorization": f"Bearer {player.client.token}"}
    )
    data: dict[str, Any] = response.json() if response.content else {}
    if response.status_code >= 400:
        error = data.get("error", {})
        raise ApiFailure(
            response.status_code,
            error.get("code", "?"),
            error.get("message", ""),
            figures(error),
        )
    return data


def _value(player: Player, kind: str, value: int | None) -> str:
    if value is None:
        return "no limit"
    return f"{value} minutes" if kind == "session_minutes" else player.money(value)


def show_state(player: Player, state: dict[str, Any]) -> None:
    exclusion = state.get("exclusion")
    if exclusion:
        what = "self-excluded" if exclusion["kind"] == "self_exclusion" else "on a time-out"
        player.say(f"You are {what} until {when(exclusion['until_ms'])}.", "bold red")
    limits = state.get("limits") or {}
    player.say("Limits (the lowest that applies wins):", "bold")
    for number, (kind, label) in LIMITS.items():
        entry = limits.get(kind) or {}
        line = f"  {number}) {label}: {_value(player, kind, entry.get('value'))}"
        pending = entry.get("pending")
        if pending:
            line += (
                f"; raise to {_value(player, kind, pending['value'])} waiting until"
                f" {when(pending['effective_at_ms'])}, then needs your confirmation"
            )
        player.say(line)
    seconds = (limits.get("reality_check_seconds") or {}).get("value")
    player.say(f"Reality check: {f'every {seconds / 60:g} minutes' if seconds else 'off'}")


async def _set_limit(player: Player, ask: Ask) -> None:
    number = await ask("which limit (1-7)", choices=list(LIMITS), show_choices=False)
    kind, label = LIMITS[number]
    unit = "minutes" if kind == "session_minutes" else player.currency
    text = await ask(f"new {label} limit ({unit}; none to remove)")
    if text.lower() == "none":
        value: int | None = None
    elif kind == "session_minutes":
        value = int(text) if text.isdigit() and int(text) > 0 else 0
    else:
        value = view.parse_money(text, player.currency) or 0
    if value == 0:
        player.say("that is not a limit", "red")
        return
    reply = await _api(player, "PUT", f"/api/rg/limits/{kind}", {"value": value})
    pending = reply.get("pending")
    if pending:
        player.say(
            f"Raise waiting: {label} {_value(player, kind, pending['value'])} can apply from"
            f" {when(pending['effective_at_ms'])} (24 hours), once you confirm it then."
            f" Until then it stays {_value(player, kind, reply.get('value'))}.",
            "yellow",
        )
    else:
        player.say(f"{label}: {_value(player, kind, reply.get('value'))}, applies now", "green")


async def _confirm(player: Player, ask: Ask) -> None:
    number = await ask("confirm which limit (1-7)", choices=list(LIMITS), show_choices=False)
    kind, label = LIMITS[number]
    reply = await _api(player, "POST", f"/api/rg/limits/{kind}/confirm", {})
    player.say(f"{label}: {_value(player, kind, reply.get('value'))}, applies now", "green")


async def _reality_check(player: Player, ask: Ask) -> None:
    text = await ask("remind me every how many minutes (none: never)")
    minutes = None if text.lower() == "none" else int(text) if text.isdigit() else 0
    if minutes == 0:
        player.say("that is not a number of minutes", "red")
        return
    # A setting kept beside the limits; any change applies at once.
    # A setting kept beside the limits, in seconds; any change applies at once.
    seconds = None if minutes is None else minutes * 60
    reply = await _api(player, "PUT", "/api/rg/limits/reality_check_seconds", {"value": seconds})
    every = reply.get("value")
    player.say(f"reality check: {f'every {every / 60:g} minutes' if every else 'off'}", "green")


async def _exclude(player: Player, ask: Ask, self_exclusion: bool) -> bool:
    """A time-out or self-exclusion, its consequences stated first; True once it started."""
    options = EXCLUSIONS if self_exclusion else TIME_OUTS
    shown = "  ".join(f"{n}) {label}" for n, (_, label) in options.items())
    number = await ask(f"how long: {shown}", choices=list(options), show_choices=False)
    amount, length = options[number]
    for line in EXCLUSION_CONSEQUENCES if self_exclusion else TIME_OUT_CONSEQUENCES:
        player.say(line.format(length=length), "yellow")
    word = "exclude" if self_exclusion else "time-out"
    typed = await ask(f"type {word} to confirm, anything else to cancel", default="")
    if typed.lower() != word:
        player.say("cancelled: nothing changed")
        return False
    if self_exclusion:
        await _api(player, "POST", "/api/rg/self-exclusion", {"months": amount})
    else:
        await _api(player, "POST", "/api/rg/time-out", {"hours": amount})
    player.say(f"{'self-exclusion' if self_exclusion else 'time-out'} of {length} started", "bold")
    return True


async def safer_menu(player: Player, ask: Ask) -> None:
    """The safer-gambling menu, until the player goes back (or an exclusion starts)."""
    while True:
        try:
            show_state(player, await _api(player, "GET", "/api/rg"))
        except ApiFailure as failure:
            player.say(wording.told(failure.code, failure.params, failure.message), "red")
            return
        choice = await ask(
            "l) set a limit  c) confirm a raise  r) reality check  t) time-out"
            "  x) self-exclusion  b) back",
            choices=["l", "c", "r", "t", "x", "b"],
            show_choices=False,
            default="b",
        )
        try:
            if choice == "b":
                return
            if choice == "l":
                await _set_limit(player, ask)
            elif choice == "c":
                await _confirm(player, ask)
            elif choice == "r":
                await _reality_check(player, ask)
            elif await _exclude(player, ask, self_exclusion=choice == "x"):
                return
        except ApiFailure as failure:
            player.say(wording.told(failure.code, failure.params, failure.message), "red")
