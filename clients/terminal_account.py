"""The terminal client's account menu: the email and its verification, the language of
emails, two-factor login and the player's sessions, over the same HTTP API the browser
uses. Name and date of birth are shown with a note: they change only through KYC."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.prompt import Prompt
from rich.table import Table

from clients.api import ApiFailure, CasinoClient
from clients.terminal_session import Player, failure_told


async def _ask(prompt: str, **options: Any) -> str:
    answer: object = await asyncio.to_thread(lambda: Prompt.ask(prompt, **options))
    return str(answer).strip()


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


async def show(player: Player) -> None:
    client: CasinoClient = player.client
    profile = await client.call("GET", "/api/me/profile")
    verified = "verified" if profile["email_verified"] else "NOT verified (no withdrawals yet)"
    player.say(f"email {profile['email']}: {verified}")
    player.say(f"language {profile['language']}; two-factor login "
               f"{'on' if profile['two_factor'] else 'off'}")  # fmt: skip
    player.say(
        f"date of birth {profile['date_of_birth']}: name and birth date change only through"
        " identity verification (KYC), by contacting support"
    )
    sessions = (await client.call("GET", "/api/me/sessions"))["sessions"]
    table = Table(title="your sessions")
    for column in ("#", "device", "address", "last seen", ""):
        table.add_column(column)
    for number, found in enumerate(sessions, start=1):
        table.add_row(
            str(number), found["device"], found["address"], _when(found["last_seen_at"]),
            "this one" if found["current"] else "",
        )  # fmt: skip
    player.console.print(table)


async def account_menu(player: Player) -> None:
    """Until b: show the account, then act on the player's choice."""
    client = player.client
    while True:
        await show(player)
        player.console.print(
            "  [bold]v[/] send the verification email again  [bold]l[/] language"
            "  [bold]e[/] log out other sessions  [bold]t[/] two-factor  [bold]b[/] back"
        )
        choice = await _ask("account", choices=["v", "l", "e", "t", "b"], show_choices=False)
        try:
            if choice == "b":
                return
            if choice == "v":
                await client.call("POST", "/api/me/email-verification")
                player.say("sent: follow the link in the email", "green")
            elif choice == "l":
                language = await _ask("language", choices=["en", "de"], default="en")
                await client.call("POST", "/api/me/profile", {"language": language})
            elif choice == "e":
                ended = await client.call("DELETE", "/api/me/sessions")
                player.say(f"{ended['sessions_ended']} other session(s) logged out", "green")
            else:
                await two_factor(player)
        except ApiFailure as failure:
            player.say(failure_told(failure), "red")


async def two_factor(player: Player) -> None:
    client = player.client
    if (await client.call("GET", "/api/me/two-factor"))["enabled"]:
        password = await asyncio.to_thread(Prompt.ask, "password", password=True)
        code = await _ask("code from your app (or a recovery code)")
        await client.call(
            "POST", "/api/me/two-factor/disable", {"password": password, "code": code}
        )
        player.say("two-factor login is off", "green")
        return
    setup = await client.call("POST", "/api/me/two-factor/setup")
    player.say(f"add this key to your authenticator app: {setup['secret']}")
    player.say(f"(or open {setup['uri']})")
    code = await _ask("the code it shows")
    reply = await client.call("POST", "/api/me/two-factor/enable", {"code": code})
    player.say("two-factor login is on. Recovery codes (each logs in once; shown only now):")
    for recovery in reply["recovery_codes"]:
        player.say(f"  {recovery}", "bold")
