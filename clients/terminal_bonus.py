"""The terminal client's bonus page: bonus money apart from cash, the active bonus's wagering
(wagered / required), maximum stake, expiry and free spins, the offers to opt into, a promo
code, leaving the bonus (confirmed first: only bonus money goes) and loyalty points.

`bonus_lines` is pure (the page's JSON in, lines of text out); `bonuses` is the menu, which
talks to the server's HTTP bonus API through the player's client.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.prompt import Confirm, Prompt

from clients.api import ApiFailure
from clients.terminal_session import Player, failure_told
from clients.terminal_view import money


def bonus_lines(page: dict[str, Any], currency: str) -> list[str]:
    lines = [
        f"bonus money (not withdrawable): {money(page['bonus_balance'], currency)}",
        f"loyalty points: {page['loyalty_points']}",
    ]
    active = page.get("active")
    if active is None:
        lines.append("no bonus is active")
    else:
        lines.append(
            f"wagering: {money(active['wagered'], currency)} of"
            f" {money(active['required'], currency)}"
        )
        lines.append(
            f"maximum stake: {money(active['max_stake'], currency)}"
            if active["max_stake"]
            else "no maximum stake"
        )
        expires = time.strftime("%Y-%m-%d %H:%M", time.localtime(active["expires_at"] / 1000))
        lines.append(f"expires: {expires}")
        spins = active.get("free_spins")
        if spins:
            lines.append(
                f"free spins: {spins['left']} left on {spins['game']}"
                f" at {money(spins['stake'], currency)}"
            )
    for number, offer in enumerate(page.get("offers", []), start=1):
        wagering = f"{offer['wagering']}x wagering" if offer["wagering"] else "no wagering"
        lines.append(f"  offer {number}: {offer['name']} ({offer['kind']}, {wagering})")
    return lines


async def bonuses(player: Player) -> None:
    client, currency = player.client, player.currency
    while True:
        page = await client.call("GET", "/api/bonus")
        for line in bonus_lines(page, currency):
            player.say(line)
        choice = await asyncio.to_thread(
            Prompt.ask,
            "o) opt in  c) promo code  l) leave bonus  r) redeem points  b) back",
            choices=["o", "c", "l", "r", "b"],
            show_choices=False,
            default="b",
        )
        try:
            if choice == "b":
                return
            if choice == "o" and page["offers"]:
                number = await asyncio.to_thread(Prompt.ask, "offer #", default="1")
                if number.isdigit() and 1 <= int(number) <= len(page["offers"]):
                    offer = page["offers"][int(number) - 1]
                    # A provider's campaign offered to this player is accepted by its own id.
                    asked = (
                        {"campaign": offer["campaign"]}
                        if offer.get("campaign")
                        else {"definition_id": offer["id"]}
                    )
                    await client.call("POST", "/api/bonus/claim", asked)
            elif choice == "c":
                code = await asyncio.to_thread(Prompt.ask, "promo code")
                await client.call("POST", "/api/bonus/claim", {"code": code.strip()})
            elif choice == "l" and page["active"]:
                lost = money(page["bonus_balance"], currency)
                if await asyncio.to_thread(
                    Confirm.ask, f"Leave the bonus? {lost} of bonus money goes; your cash stays."
                ):
                    await client.call("POST", "/api/bonus/forfeit")
            elif choice == "r":
                points = await asyncio.to_thread(Prompt.ask, "points to redeem")
                if points.isdigit():
                    await client.call("POST", "/api/bonus/loyalty/redeem", {"points": int(points)})
        except ApiFailure as failure:
            player.say(failure_told(failure), "red")
