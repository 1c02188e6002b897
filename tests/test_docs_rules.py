"""The published game rules (docs/players/game-rules.md) are the games' own definitions:
the generated tables read back equal the strips, paylines, paytables, bets, payouts and
house rules the server deals with.
"""

from __future__ import annotations

from pathlib import Path

from games import baccarat, classic_slot, roulette, rules, video_slot
from server import docs_rules, docs_site

ROOT = Path(__file__).resolve().parent.parent


def table_after(markdown: str, caption: str) -> list[list[str]]:
    """The body rows of the first table after the line `caption`, cells stripped of `code`."""
    lines = markdown.split(caption, 1)[1].strip().splitlines()
    rows = []
    for line in lines[2:]:  # header and rule
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


def strips(markdown: str) -> tuple[tuple[str, ...], ...]:
    rows = table_after(markdown, "Reel strips:")
    return tuple(tuple(row[reel] for row in rows) for reel in range(1, len(rows[0])))


def paylines(markdown: str) -> tuple[tuple[int, ...], ...]:
    rows = table_after(markdown, "Paylines (the row, 0 = top, read on each reel):")
    return tuple(tuple(int(cell) for cell in row[1:]) for row in rows)


def test_the_page_holds_the_generated_rules_of_every_game() -> None:
    page = (ROOT / "docs" / "players" / "game-rules.md").read_text()
    filled = docs_site.fill(page)
    for name in ("Classic Sevens", "Crown Jewels", "European Roulette", "Blackjack", "Punto Banco"):
        assert f"### {name}" in filled


def test_the_classic_sevens_strips_paylines_and_paytable_are_the_games() -> None:
    section = docs_rules.classic_sevens()
    assert strips(section) == classic_slot.REELS
    assert paylines(section) == classic_slot.PAYLINES
    pays = table_after(section, "Paytable (three cherries pay as three of a kind):")
    three = {s: int(p.split()[0]) for s, run, p in pays if run == "3 on a line"}
    cherries = {int(run.split()[0]): int(p.split()[0]) for s, run, p in pays if "left" in run}
    assert (three, cherries) == (classic_slot.THREE_OF_A_KIND, classic_slot.CHERRIES_FROM_LEFT)


def test_the_crown_jewels_strips_paylines_paytable_and_free_spins_are_the_games() -> None:
    section, reel_set = docs_rules.crown_jewels(), video_slot.REEL_SET
    assert strips(section) == reel_set.reels
    assert paylines(section) == reel_set.paylines
    pays: dict[str, dict[int, int]] = {}
    for symbol, run, pay in table_after(section, "Line paytable:"):
        pays.setdefault(symbol, {})[int(run)] = int(pay.split()[0])
    assert pays == reel_set.pays
    scatter = table_after(section, "Scatter (`SCATTER`) pays and free spins:")
    assert {int(n): int(p.split()[0]) for n, p, _ in scatter} == reel_set.scatter_pays
    assert {int(n): int(f) for n, _, f in scatter} == reel_set.free_spins
    assert f"multiplied by {reel_set.free_spin_multiplier}" in section


def test_every_roulette_bet_type_is_published_with_its_payout() -> None:
    rows = table_after(docs_rules.european_roulette(), "(no la partage).")
    published = {kind: pays for kind, _, _, pays in rows}
    sizes = {kind: len(next(iter(sets))) for kind, sets in roulette.INSIDE.items()}
    sizes |= {kind: len(sets[0]) for kind, sets in roulette.OUTSIDE_INDEXED.items()}
    sizes |= {kind: len(numbers) for kind, numbers in roulette.EVEN_MONEY.items()}
    assert published == {kind: f"{roulette.pays(n)}:1" for kind, n in sizes.items()}
    assert list(published) == list(roulette.BET_TYPES)


def test_blackjacks_house_rules_are_found_by_dealing_through_the_rules() -> None:
    assert dict(docs_rules.blackjack_house_rules()) == {
        "decks": "6, shuffled for every round",
        "dealer on soft 17": "stands",
        "dealer peeks for blackjack": (
            "under a ten-valued card at once, under an ace after the insurance decision"
        ),
        "a dealer blackjack": "ends the round before the player acts; only the stake is lost",
        "blackjack pays": "3:2",
        "insurance": "half the stake, offered under an ace, pays 2:1",
        "a split hand's second card": "dealt when play reaches that hand",
        "split": "any two cards of equal value (10-J-Q-K pair), up to 4 hands",
        "double": "on any first two cards, after a split too",
        "split aces": "one card each, no resplit",
        "21 after a split": "pays 1:1, not as a blackjack",
        "a hand reaching 21": "stands by itself",
        "surrender": "not offered",
        "actions": "`hit`, `stand`, `double`, `split`, `insurance`, `no_insurance`",
    }


def test_baccarats_payouts_and_tableau_are_the_games() -> None:
    section = docs_rules.punto_banco()
    odds = table_after(section, "follows the table below.")
    assert {bet: pays for bet, pays, _ in odds} == {
        "banker": "19:20",
        "player": "1:1",
        "tie": "8:1",
    }
    assert [push for _, _, push in odds][:2] == ["pushes (stake returned)"] * 2
    tableau = table_after(section, "`none`: the player stood):")
    thirds: list[int | None] = [None, *range(10)]
    assert tableau == [
        [str(total), *("draws" if baccarat.banker_draws(total, t) else "stands" for t in thirds)]
        for total in range(8)
    ]


def test_the_page_and_the_in_game_help_state_the_same_payouts() -> None:
    """Both are built from games/rules.py's findings: if one is edited to restate a figure,
    the other's still matches the game and this fails."""
    docs_blackjack = dict(docs_rules.blackjack_house_rules())
    help_blackjack = rules.rules("blackjack")
    assert help_blackjack is not None
    help_pays = dict(help_blackjack["tables"][0]["rows"])
    assert help_pays["Blackjack"] == docs_blackjack["blackjack pays"].replace(":", " to ")
    assert docs_blackjack["insurance"].endswith(
        help_pays["Insurance, when the dealer has blackjack"].replace(" to ", ":")
    )

    docs_roulette = {
        kind: pays
        for kind, _, _, pays in table_after(docs_rules.european_roulette(), "(no la partage).")
    }
    help_roulette = rules.rules("european-roulette")
    assert help_roulette is not None
    help_by_covered = {covered: pays for _, covered, pays in help_roulette["tables"][0]["rows"]}
    assert {
        kind: help_by_covered[str(n)].replace(" to ", ":")
        for kind, n in rules.roulette_coverage().items()
    } == docs_roulette

    docs_pushes = [
        bet
        for bet, _, push in table_after(docs_rules.punto_banco(), "follows the table below.")
        if push.startswith("pushes")
    ]
    help_baccarat = rules.rules("punto-banco")
    assert help_baccarat is not None
    assert f"A tie returns {' and '.join(docs_pushes)} bets." in help_baccarat["rules"]
