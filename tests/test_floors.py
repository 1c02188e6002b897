"""The floors of `server/` (DESIGN.md), held against the code's own imports.

Each module of `server/` stands on a floor; it may import from the floors below it, and
from its own floor, except that a domain (floor 4) never imports another domain: where one
domain's rule must run in another's path, the rule is a seam registered at wiring
time (`app`, `wiring`). A
domain's HTTP routes and admin commands are its edge and stand on floor 5 with the other
edges. Imports inside `if TYPE_CHECKING:` are left out (they never run).

`DEBTS` lists the up-arrows that the code still has, each with why; the test fails on
any arrow not listed, and on a listed one that is gone (so the list can only shrink).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.source import parse as source_parse

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"

FLOORS: dict[str, int] = {
    # 1: settings, connections, logs and metrics, HTTP policies that know no domain
    "config": 1,
    "storage": 1,
    "observability": 1,
    "gc_policy": 1,
    "security_headers": 1,
    "mode": 1,
    "child_process": 1,  # how the server runs a child of its own: knows no child
    "background": 1,  # how a server process stops its background tasks: knows no task
    "lean_websocket": 1,
    "mail": 1,  # SMTP, templates and the sandbox sink: knows no domain
    "admin_command": 1,  # how an admin command runs and reports errors: knows no command
    # 2: the internal event stream and player pushes
    "events": 2,
    "audit": 2,  # the audit trail: a record every domain appends to, knowing none
    # 3: every movement of money
    "money": 3,
    # 4: the domains
    "accounts": 4,
    "kyc": 4,
    "aml": 4,
    "compliance": 4,
    "bonus": 4,
    "risk": 4,
    "payments": 4,
    "provider": 4,
    "rounds": 4,
    "rg": 4,
    # 5: the edges that face people and programs
    "sessions": 5,
    "backoffice": 5,
    "staff": 5,  # staff accounts, roles and the role guard: an edge facing people
    "reports": 5,
    "web": 5,
    "api_docs": 5,
    "context": 5,
    "health": 5,
    "cors": 5,
    "http_limits": 5,
    "http_protocol": 5,
    "serving": 5,
    # 6: wiring and commands, and the tools that are not the server at run time
    "app": 6,
    "wiring": 6,
    "cli": 6,
    "doctor": 6,
    "docs_site": 6,
    "docs_rules": 6,
    "tools": 6,
}
DOMAIN_FLOOR = 4
# A domain's own edge (its HTTP routes, its admin command, observability's /ready): floor 5.
EDGE_MODULES = {"routes", "sandbox_routes", "admin", "readiness", "openapi"}

# (importer, imported) -> why it is still there. Only shrinks.
DEBTS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def modules() -> dict[str, Path]:
    found = {module_name(path): path for path in SERVER.rglob("*.py")}
    found.pop("server")  # the package itself holds nothing
    return found


def unit(module: str) -> str:
    """The floor's unit a module belongs to: `server.money.hot` -> `money`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def floor(module: str) -> int:
    if module.split(".")[-1] in EDGE_MODULES and FLOORS[unit(module)] < 5:
        return 5
    return FLOORS[unit(module)]


def imports(path: Path, known: set[str]) -> set[str]:
    tree = source_parse(path.read_text())
    type_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name in known}


def arrows() -> set[tuple[str, str]]:
    known = modules()
    return {
        (importer, imported)
        for importer, path in known.items()
        for imported in imports(path, set(known))
        if unit(importer) != unit(imported)
    }


def wrong(importer: str, imported: str) -> bool:
    below, above = floor(imported), floor(importer)
    if below > above:
        return True
    return below == above == DOMAIN_FLOOR  # a domain never imports another domain


def test_every_unit_of_the_server_has_a_floor() -> None:
    assert sorted({unit(module) for module in modules()} - set(FLOORS)) == []


def test_no_import_runs_up_a_floor_or_across_domains() -> None:
    found = {arrow for arrow in arrows() if wrong(*arrow)}
    assert sorted(found - set(DEBTS)) == []


def test_every_listed_debt_still_exists() -> None:
    found = {arrow for arrow in arrows() if wrong(*arrow)}
    assert sorted(set(DEBTS) - found) == []


def test_a_domain_importing_another_domain_is_caught() -> None:
    assert wrong("server.provider.service", "server.accounts.service")
    assert not wrong("server.provider.routes", "server.accounts.service")  # an edge may
    assert not wrong("server.rounds.play", "server.money.hot")
    assert wrong("server.money.hot", "server.rounds.play")
