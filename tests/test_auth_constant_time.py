"""Secrets and signatures are compared in constant time (`hmac.compare_digest`), never `==`.

An `ast` scan of `server/`, `clients/` and `rng/` finds every `==`, `!=`, `in`
and `not in` with an operand named like a secret (token, password, secret,
signature, digest, hmac, hash, seed, api key). Each must be on the reviewed list
below with the reason it leaks nothing; a new one fails until it is rewritten with
`hmac.compare_digest` or reviewed. Lookups of a session by the SHA-256 of its token
(an indexed SQL equality) are safe by construction: the attacker controls the token,
not its hash, so timing reveals nothing about a stored one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support.source import parse as source_parse

ROOT = Path(__file__).resolve().parent.parent
SECRET = re.compile(
    r"signature|secret|digest|hmac|_mac\b|token|password|passwd|hash|seed|api_?key", re.I
)
COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)

REVIEWED = {
    "server/accounts/rules.py: lowered in COMMON_PASSWORDS": "a candidate password against a"
    " public list of breached ones, at registration",
    "server/observability/effective_config.py: name not in SECRETS": "variable names, not values",
    "server/docs_site.py: name in config.SECRETS": "variable names, not values",
    "server/sessions/endpoint.py: only != self.connection.token_hash": "routes a push between"
    " this server's own SHA-256 digests; no client can time it",
    "server/tools/soak/frames.py: value == TOKEN": "the fuzzer's own placeholder constant",
    "rng/fair.py: len(server_seed) != SEED_BYTES": "a seed's length is public",
    "rng/fair.py: ':' in client_seed": "the client seed is the player's own, shown in every round",
}


def operand_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return operand_name(node.value)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id == "len":
            return None  # a length is public
        return operand_name(node.func)
    return None


def suspicious(source: str, path: str) -> list[str]:
    found = []
    for node in ast.walk(source_parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, COMPARISONS) for op in node.ops):
            continue
        names = [operand_name(side) for side in (node.left, *node.comparators)]
        if any(name and SECRET.search(name) for name in names):
            found.append(f"{path}: {ast.unparse(node)}")
    return found


def scan() -> list[str]:
    return [
        line
        for folder in ("server", "clients", "rng")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in suspicious(path.read_text(), str(path.relative_to(ROOT)))
    ]


def test_every_comparison_of_a_secret_is_constant_time_or_reviewed() -> None:
    assert [line for line in scan() if line not in REVIEWED] == []


def test_the_reviewed_list_holds_no_stale_entries() -> None:
    assert sorted(set(REVIEWED) - set(scan())) == []


def test_the_scan_catches_a_signature_compared_with_equals() -> None:
    source = "def ok(signature, expected):\n    return signature == expected\n"
    assert suspicious(source, "x.py") == ["x.py: signature == expected"]


def test_the_scan_catches_a_digest_compared_with_not_equals() -> None:
    source = "def bad(mac, body):\n    return sign(body).hexdigest() != mac\n"
    assert suspicious(source, "x.py") == ["x.py: sign(body).hexdigest() != mac"]


def test_the_scan_leaves_compare_digest_alone() -> None:
    source = "def ok(signature, expected):\n    return hmac.compare_digest(signature, expected)\n"
    assert suspicious(source, "x.py") == []


def test_signature_and_token_checks_use_compare_digest() -> None:
    verifying = ["server/provider/signatures.py", "server/observability/metrics.py", "rng/fair.py"]
    assert [p for p in verifying if "hmac.compare_digest(" not in (ROOT / p).read_text()] == []
