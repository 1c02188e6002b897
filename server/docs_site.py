"""The documentation site: the reference sections generated from code, and building it.

The pages under `docs/` are hand-written except where a line reads
`<!-- generated: NAME -->`: at build time the MkDocs hook (`docs/hooks.py`)
hands every page to `fill`, which replaces each such line with the section
`GENERATORS[NAME]` renders from the definitions the server itself runs on
(`server.config.VARIABLES`, the `protocol/` messages, error and close codes,
the provider statuses and limits, the games' PAR sheets). So a reference can
never drift from the code: a new variable or error code appears on the next
build, and an unknown section name fails the build. `build` and `main` are what
`run.py test` and `run.py docs` call. Nothing here is imported by the running
server.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import tokenize
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import msgspec
import msgspec.inspect as mi

ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = ROOT / "mkdocs.yml"
DEFAULT_ADDRESS = "127.0.0.1:8001"  # 8000 is the casino server's own default port
MARKER = re.compile(r"^<!-- generated: (?P<name>[a-z-]+) -->$", re.M)


# -- Markdown helpers -------------------------------------------------------------------


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell: code spans kept, everything else escaped
    (a description such as `Bearer <token>` must not turn into an HTML tag)."""
    parts = text.split("`")
    for index in range(0, len(parts), 2):  # even parts lie outside code spans
        escaped = parts[index].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        parts[index] = escaped.replace("|", "\\|")
    return "`".join(parts)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# -- configuration ----------------------------------------------------------------------


def configuration_reference() -> str:
    """Every variable of `server.config.VARIABLES`: name, default, meaning, in its order."""
    from server import config

    rows = [
        (
            f"`{name}`",
            f"`{default}`" if default else "(unset)",
            _cell(meaning) + (" **Secret.**" if name in config.SECRETS else ""),
        )
        for name, (default, meaning) in config.VARIABLES.items()
    ]
    return _table(("variable", "default", "meaning"), rows)


# -- protocol ---------------------------------------------------------------------------


def _comments(source: str) -> tuple[dict[int, str], dict[int, str]]:
    """(trailing comments, whole-line comments) of a module's source, by line number."""
    trailing: dict[int, str] = {}
    whole: dict[int, str] = {}
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        line = token.start[0]
        text = token.string.lstrip("#").strip()
        if text.startswith(("noqa", "type:", "fmt:")):
            continue
        (whole if lines[line - 1].lstrip().startswith("#") else trailing)[line] = text
    return trailing, whole


def _comment_above(whole: dict[int, str], line: int) -> str:
    block: list[str] = []
    while line - 1 in whole:
        line -= 1
        block = [whole[line], *block]
    return " ".join(block)


def _field_notes(module: ModuleType) -> dict[tuple[str, str], str]:
    """(class, field) -> the comment on or above the field's line in the module's source,
    or else the comment above the type alias the field is declared with."""
    source = Path(module.__file__ or "").read_text()
    trailing, whole = _comments(source)
    tree = ast.parse(source)
    aliases = {
        node.targets[0].id: _comment_above(whole, node.lineno)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    notes: dict[tuple[str, str], str] = {}
    for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
        for node in cls.body:
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
            note = " ".join(trailing[n] for n in lines if n in trailing)
            note = note or _comment_above(whole, node.lineno)
            if not note and isinstance(node.annotation, ast.Name):
                note = aliases.get(node.annotation.id, "")
            notes[(cls.name, node.target.id)] = note
    return notes


def _power_of_two(value: int) -> str:
    """2**63 - 1 reads better than 9223372036854775807."""
    if value > 2**16 and (value + 1) & value == 0:
        return f"2^{(value + 1).bit_length() - 1} − 1"
    return str(value)


def _type(kind: mi.Type) -> str:
    if isinstance(kind, mi.IntType):
        low = kind.ge if kind.gt is None else kind.gt + 1
        high = kind.le if kind.lt is None else kind.lt - 1
        if low is not None and high is not None:
            return f"integer, {_power_of_two(low)} to {_power_of_two(high)}"
        if low is not None:
            return f"integer ≥ {low}"
        return "integer" if high is None else f"integer ≤ {_power_of_two(high)}"
    if isinstance(kind, mi.StrType):
        low, high = kind.min_length, kind.max_length
        size = (
            f", {low} to {high} characters"
            if low is not None and high is not None
            else f", up to {high} characters"
            if high is not None
            else f", at least {low} characters"
            if low is not None
            else ""
        )
        return f"string{size}" + (f" matching `{kind.pattern}`" if kind.pattern else "")
    if isinstance(kind, mi.UnionType):
        return " or ".join(_type(member) for member in kind.types)
    if isinstance(kind, mi.ListType):
        return f"list of {_type(kind.item_type)}"
    if isinstance(kind, mi.DictType):
        return "map"
    if isinstance(kind, mi.StructType):
        return f"[{kind.cls.__name__}](#object-{kind.cls.__name__.lower()})"
    names = {mi.BoolType: "boolean", mi.FloatType: "number", mi.NoneType: "null"}
    return names.get(type(kind), "any")


def _default(field: mi.Field) -> str:
    if field.required:
        return "required"
    value = field.default
    if value is msgspec.NODEFAULT and callable(field.default_factory):
        value = field.default_factory()
    return f"`{json.dumps(value)}`"


def _note(cls: type, field: str, notes: dict[tuple[str, str], str]) -> str:
    """A field's note, found on the class that declares it (`id` is declared on Request)."""
    return next((notes[c.__name__, field] for c in cls.__mro__ if (c.__name__, field) in notes), "")


def _struct_section(
    cls: type[msgspec.Struct], anchor: str, notes: dict[tuple[str, str], str]
) -> str:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    tag = cls.__struct_config__.tag
    title = f"`{tag}`" if tag else f"`{cls.__name__}`"
    parts = [f"### {title} {{#{anchor}}}"]
    if cls.__doc__:
        parts.append(" ".join(cls.__doc__.split()))
    rows = [
        (
            f"`{field.encode_name}`",
            _cell(_type(field.type)),
            _default(field),
            _cell(_note(cls, field.name, notes)),
        )
        for field in info.fields
    ]
    if tag:
        rows = [("`type`", f'`"{tag}"`', "required", "The message's tag."), *rows]
    parts.append(_table(("field", "type", "presence", "meaning"), rows))
    return "\n\n".join(parts)


def protocol_messages() -> str:
    """Every request, reply and nested object of `protocol.messages`, in source order."""
    from protocol import messages

    notes = _field_notes(messages)
    structs = [
        value
        for value in vars(messages).values()
        if isinstance(value, type)
        and issubclass(value, msgspec.Struct)
        and value.__module__ == messages.__name__
        and value not in (messages.Request, messages.Reply)
    ]
    groups: list[tuple[str, str, list[type[msgspec.Struct]]]] = [
        ("Requests", "request", [s for s in structs if issubclass(s, messages.Request)]),
        ("Replies", "reply", [s for s in structs if issubclass(s, messages.Reply)]),
        ("Objects inside replies", "object", [
            s for s in structs if not issubclass(s, messages.Request | messages.Reply)
        ]),
    ]  # fmt: skip
    sections = []
    for heading, prefix, members in groups:
        sections.append(f"## {heading}")
        for cls in members:
            name = cls.__struct_config__.tag or cls.__name__
            sections.append(_struct_section(cls, f"{prefix}-{str(name).lower()}", notes))
    return "\n\n".join(sections)


def protocol_version() -> str:
    from protocol import codec, messages

    versions = ", ".join(str(v) for v in sorted(messages.SUPPORTED_VERSIONS))
    capabilities = ", ".join(f"`{c}`" for c in messages.CAPABILITIES)
    return _table(
        ("what", "value"),
        [
            ("protocol version (`hello.version` default, `welcome.protocol`)",
             f"`{messages.PROTOCOL_VERSION}`"),
            ("versions this server accepts", versions),
            ("capabilities announced in `welcome`", capabilities),
            ("largest frame answered normally (default of `CASINO_MAX_FRAME_BYTES`)",
             f"{codec.DEFAULT_MAX_FRAME_BYTES:,} bytes"),
        ],
    )  # fmt: skip


def error_codes() -> str:
    """`protocol.errors.ErrorCode` with its documentation, grouped as the enum groups it."""
    from protocol import errors

    source = Path(errors.__file__ or "").read_text()
    _, whole = _comments(source)
    enum = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.ClassDef) and node.name == "ErrorCode"
    )
    heading_of = {
        node.targets[0].id: _comment_above(whole, node.lineno)
        for node in enum.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    sections: list[str] = []
    rows: list[tuple[str, str]] = []
    for code in errors.ErrorCode:
        if heading_of.get(code.name) and rows:
            sections.append(_table(("code", "meaning"), rows))
            rows = []
        if heading_of.get(code.name):
            sections.append(f"### {heading_of[code.name]}")
        rows.append((f"`{code}`", _cell(errors.DESCRIPTIONS[code])))
    sections.append(_table(("code", "meaning"), rows))
    return "\n\n".join(sections)


def close_codes() -> str:
    from protocol.close_codes import DESCRIPTIONS, CloseCode

    rows = [(str(int(code)), f"`{code.name}`", _cell(DESCRIPTIONS[code])) for code in CloseCode]
    return _table(("close code", "name", "meaning"), rows)


# -- provider API -----------------------------------------------------------------------


def provider_statuses() -> str:
    from server.provider.status import DESCRIPTIONS, Status

    return _table(("status", "meaning"), [(f"`{s}`", _cell(DESCRIPTIONS[s])) for s in Status])


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{seconds} s" + (f" ({hours} h)" if hours and not rest else "")


def provider_limits() -> str:
    """The provider API's durations and sizes, read from the constants that enforce them."""
    from server.provider import messages, registry, sessions, signatures

    return _table(
        ("what", "value", "set by"),
        [
            ("launch token lifetime (one exchange only)", _duration(sessions.LAUNCH_TTL_S),
             "fixed"),
            ("session token lifetime, from the exchange",
             f"{_duration(registry.DEFAULT_SESSION_TTL_S)} by default",
             "`--session-ttl` of `admin add`"),
            ("replay window (`X-Timestamp` against our clock, either way)",
             f"{_duration(registry.DEFAULT_REPLAY_WINDOW_S)} by default",
             "`--replay-window` of `admin add`"),
            ("largest request body", f"{messages.MAX_BODY_BYTES // 1024} KiB", "fixed"),
            ("longest `X-Signature`", f"{signatures.MAX_SIGNATURE_CHARS} characters", "fixed"),
            ("prefix of a reply's signed message",
             f"`{signatures.REPLY_DOMAIN.decode()}`", "fixed"),
        ],
    )  # fmt: skip


# -- games ------------------------------------------------------------------------------


def _percent(value: Fraction | float) -> str:
    return f"{float(value) * 100:.4f}"


def par_sheets() -> str:
    """`run.py rtp`'s tables, one section per game, with the stated RTP and the stakes."""
    from games import catalogue, rtp, video_slot

    sections = []
    for game_id, sheet in rtp.SHEETS.items():
        info = catalogue.GAMES[game_id].info
        rows = sheet()
        sections.append(f"### {info.name} (`{game_id}`) {{#par-{game_id}}}")
        sections.append(
            f"Stated RTP **{_percent(info.rtp)} %**, {info.volatility} volatility; stakes "
            f"{info.min_stake:,} to {info.max_stake:,} minor units in steps of {info.stake_step:,}."
        )
        sections.append(
            _table(
                ("bet", "RTP %", "house edge %", "hit frequency %", "SD", "max win × stake",
                 "method"),
                [
                    (row.bet, _percent(row.rtp), _percent(1 - row.rtp),
                     _percent(row.hit_frequency), f"{row.sd:.3f}",
                     f"{float(row.max_payout):g}", _cell(row.method))
                    for row in rows
                ],
            )
        )  # fmt: skip
        exact = [f"- {row.bet}: `{row.rtp}`" for row in rows if isinstance(row.rtp, Fraction)]
        if exact:
            sections.append("Exact RTP as a fraction:\n\n" + "\n".join(exact))
        if game_id == video_slot.INFO.id:
            sections.append(_cell(rtp.max_win_note()))
    return "\n\n".join(sections)


def game_rules() -> str:
    """Every game's public contract: strips, paylines, paytables, bets, house rules."""
    from server import docs_rules

    return docs_rules.game_rules()


GENERATORS: dict[str, Callable[[], str]] = {
    "configuration": configuration_reference,
    "protocol-version": protocol_version,
    "protocol-messages": protocol_messages,
    "error-codes": error_codes,
    "close-codes": close_codes,
    "provider-statuses": provider_statuses,
    "provider-limits": provider_limits,
    "par-sheets": par_sheets,
    "game-rules": game_rules,
}


def fill(markdown: str, page: str = "page") -> str:
    """`markdown` with every generated-section marker replaced by its section."""

    def section(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATORS:
            known = ", ".join(sorted(GENERATORS))
            raise ValueError(f"{page}: no generated section {name!r} (known: {known})")
        return GENERATORS[name]()

    return MARKER.sub(section, markdown)


# -- building and serving ---------------------------------------------------------------


# mkdocs-material prints a banner about its end of life on every run unless told not to.
_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _mkdocs(*args: str) -> list[str]:
    return [sys.executable, "-m", "mkdocs", *args, "--config-file", str(CONFIG_FILE)]


def _cannot_build() -> bool:
    """True, having said why, when this is no source checkout or mkdocs is not installed."""
    if not CONFIG_FILE.is_file():
        print("docs: the site builds from a source checkout (no mkdocs.yml here)", file=sys.stderr)
        return True
    if importlib.util.find_spec("mkdocs") and importlib.util.find_spec("material"):
        return False
    print("docs: mkdocs and mkdocs-material are not installed in this venv", file=sys.stderr)
    return True


def build(strict: bool = True, site_dir: Path | None = None) -> int:
    """Build the site (into a temporary directory, discarded, when `site_dir` is None) and
    return mkdocs' exit status; `strict` turns every warning, such as a broken link, into a
    failure."""
    if _cannot_build():
        return 2
    with tempfile.TemporaryDirectory(prefix="casino-site-") as scratch:
        target = site_dir if site_dir is not None else Path(scratch)
        # Not --quiet: it drops warnings before --strict can count them, and the build passes.
        command = _mkdocs("build", "--site-dir", str(target))
        if strict:
            command.append("--strict")
        return subprocess.run(command, cwd=ROOT, env=_ENV, check=False).returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="run.py docs", description="Serve the documentation site locally, or build it."
    )
    parser.add_argument("action", nargs="?", choices=("serve", "build"), default="serve")
    parser.add_argument(
        "--address", default=DEFAULT_ADDRESS, help=f"serve: HOST:PORT (default {DEFAULT_ADDRESS})"
    )
    parser.add_argument(
        "--site-dir", type=Path, default=ROOT / "site", help="build: output (default ./site)"
    )
    args = parser.parse_args(argv)
    if args.action == "build":
        return build(strict=True, site_dir=args.site_dir)
    if _cannot_build():
        return 2
    print(f"docs: http://{args.address}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        serve = _mkdocs("serve", "--dev-addr", args.address)
        return subprocess.run(serve, cwd=ROOT, env=_ENV, check=False).returncode
    except KeyboardInterrupt:  # mkdocs got the same Ctrl-C and stops by itself
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
