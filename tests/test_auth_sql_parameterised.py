"""Parameterised SQL only: no value is ever formatted into a statement in `server/`.

An `ast` scan of every module finds each call that runs SQL (`execute`,
`executemany`, `executescript`, `fetchone`, `fetchall`, `insert`, `peek`) and proves its
statement static: string literals, `+` of static parts, a choice (`a if c else b`)
between static parts, f-strings whose every
field is itself static (a module-level constant string such as a column list), or
a placeholder list for `IN (...)` built as `", ".join("?" * n)` (inline, or by a
function of the same module whose one statement returns exactly that). Anything
else (a variable, `%`, `.format`, an f-string of a value) fails with its place.
The only statements taken on trust are the database module's own pass-through
parameters and the shipped migration files it applies.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.source import parse as source_parse

SERVER = Path(__file__).resolve().parent.parent / "server"
SQL_CALLS = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "fetchone",
        "fetchall",
        "insert",
        "insert_rows",
        "peek",
    }
)
# server/storage/base.py, database.py and the dialects forward their callers' `sql`, `head`
# and `tail` (checked at each caller) and apply migration files shipped with the code.
PASS_THROUGH = {
    f"storage/{name}.py": frozenset({"sql", "statement", "head", "tail"})
    for name in ("base", "database", "sqlite", "postgres")
}
# The PostgreSQL dialect's rewrites of such forwarded SQL (placeholders, multi-row VALUES).
TRANSLATORS = {"storage/postgres.py": frozenset({"translate", "_multi_row"})}


@dataclass
class Module:
    path: str
    tree: ast.Module
    constants: dict[str, ast.expr] = field(default_factory=dict)
    builders: set[str] = field(default_factory=set)


def is_placeholder_list(node: ast.expr) -> bool:
    """`", ".join("?" * n)`: only question marks and commas, whatever n is."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and node.func.value.value in (",", ", ")
        and len(node.args) == 1
        and isinstance(node.args[0], ast.BinOp)
        and isinstance(node.args[0].op, ast.Mult)
    ):
        return False
    product = node.args[0]
    return any(
        isinstance(side, ast.Constant) and side.value == "?"
        for side in (product.left, product.right)
    )


def is_join_of_static(node: ast.Call, module: Module, function: ast.AST | None, depth: int) -> bool:
    """`" ".join("WHEN ? THEN ?" for _ in rows)`: copies of a static part, joined by a
    constant, are static however many there are."""
    if not (
        isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
    ):
        return False
    return is_static(node.args[0].elt, module, function, depth + 1)


def parse(source: str, path: str) -> Module:
    module = Module(path, source_parse(source, path))
    for statement in module.tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                module.constants[target.id] = statement.value
        elif isinstance(statement, ast.FunctionDef) and len(statement.body) == 1:
            only = statement.body[0]
            if isinstance(only, ast.Return) and only.value and is_placeholder_list(only.value):
                module.builders.add(statement.name)
    return module


def local_assignments(function: ast.AST | None, name: str) -> list[ast.expr]:
    if function is None:
        return []
    return [
        node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ]


def is_static(node: ast.expr, module: Module, function: ast.AST | None, depth: int = 0) -> bool:
    if depth > 10:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(
            is_static(part.value, module, function, depth + 1)
            if isinstance(part, ast.FormattedValue)
            else True
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return is_static(node.left, module, function, depth + 1) and is_static(
            node.right, module, function, depth + 1
        )
    if isinstance(node, ast.IfExp):
        return is_static(node.body, module, function, depth + 1) and is_static(
            node.orelse, module, function, depth + 1
        )
    if isinstance(node, ast.Call):
        if is_placeholder_list(node) or is_join_of_static(node, module, function, depth):
            return True
        if isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS.get(module.path, ()):
            return bool(node.args) and is_static(node.args[0], module, function, depth + 1)
        return isinstance(node.func, ast.Name) and node.func.id in module.builders
    if isinstance(node, ast.Name):
        local = local_assignments(function, node.id)
        if local:
            return all(is_static(value, module, function, depth + 1) for value in local)
        if node.id in module.constants:
            return is_static(module.constants[node.id], module, None, depth + 1)
        return node.id in PASS_THROUGH.get(module.path, frozenset())
    return False


def sql_calls(module: Module) -> list[tuple[ast.Call, ast.AST | None]]:
    """Every call of an SQL method that is given a statement, with its enclosing function."""
    found: list[tuple[ast.Call, ast.AST | None]] = []

    def visit(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in SQL_CALLS
                and (child.args or any(k.arg == "sql" for k in child.keywords))
            ):
                found.append((child, function))
            visit(child, inner)

    visit(module.tree, None)
    return found


def statement(call: ast.Call) -> ast.expr:
    return call.args[0] if call.args else next(k.value for k in call.keywords if k.arg == "sql")


def statements(call: ast.Call) -> list[ast.expr]:
    """The SQL a call is given: `insert_rows` takes a head and an optional tail."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "peek":
        return [call.args[1]]  # peek(target, sql, params)
    if isinstance(call.func, ast.Attribute) and call.func.attr == "insert_rows":
        tail = [k.value for k in call.keywords if k.arg == "tail"] or call.args[2:3]
        return [statement(call), *tail]
    return [statement(call)]


def violations(module: Module) -> list[str]:
    return [
        f"{module.path}:{call.lineno}: {ast.unparse(sql)[:80]}"
        for call, function in sql_calls(module)
        for sql in statements(call)
        if not is_static(sql, module, function)
    ]


def modules() -> list[Module]:
    return [
        parse(path.read_text(), str(path.relative_to(SERVER)))
        for path in sorted(SERVER.rglob("*.py"))
    ]


def scan_source(source: str) -> list[str]:
    return violations(parse(source, "sample.py"))


def test_every_statement_in_the_server_is_static() -> None:
    assert [line for module in modules() for line in violations(module)] == []


def test_the_scan_sees_the_servers_sql() -> None:
    # A scan that matched nothing would pass vacuously; the server runs SQL in many places.
    assert sum(len(sql_calls(module)) for module in modules()) > 50


def test_an_f_string_with_a_value_is_caught() -> None:
    assert scan_source(
        "async def f(db, name):\n    await db.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n"
    ) == ["sample.py:2: f\"SELECT * FROM t WHERE n = '{name}'\""]


def test_percent_formatting_is_caught() -> None:
    assert len(scan_source('def f(tx, n):\n    tx.fetchall("SELECT %s" % n)\n')) == 1


def test_concatenating_a_value_is_caught() -> None:
    assert len(scan_source('def f(tx, n):\n    tx.execute("DELETE FROM t WHERE id = " + n)\n')) == 1


def test_str_format_is_caught() -> None:
    assert len(scan_source('def f(tx, n):\n    tx.fetchone("SELECT {}".format(n))\n')) == 1


def test_a_variable_built_from_a_value_is_caught() -> None:
    source = 'def f(tx, n):\n    sql = f"SELECT {n}"\n    tx.insert(sql, ())\n'
    assert len(scan_source(source)) == 1


def test_a_placeholder_list_and_a_constant_column_list_pass() -> None:
    source = """
COLUMNS = "a, b"
def marks(n):
    return ", ".join("?" * n)
def f(tx, ids):
    tx.fetchall(f"SELECT {COLUMNS} FROM t WHERE id IN ({marks(len(ids))})", ids)
    tx.fetchall(f"SELECT a FROM t WHERE id IN ({', '.join('?' * len(ids))})", ids)
"""
    assert scan_source(source) == []


def test_a_placeholder_join_of_something_else_is_caught() -> None:
    source = """
def f(tx, ids):
    tx.fetchall(f"SELECT a FROM t WHERE id IN ({', '.join(ids)})")
"""
    assert len(scan_source(source)) == 1


def test_joined_copies_of_a_static_part_pass_and_joined_values_are_caught() -> None:
    cases = (
        "def f(tx, rows):\n"
        '    c = " ".join("WHEN ? THEN ?" for _ in rows)\n'
        '    tx.execute(f"UPDATE t SET a = CASE id {c} END")\n'
    )
    values = (
        "def f(tx, rows):\n"
        '    c = " ".join(str(r) for r in rows)\n'
        '    tx.execute(f"UPDATE t SET a = {c}")\n'
    )
    assert (scan_source(cases), len(scan_source(values))) == ([], 1)


def test_a_dynamic_tail_of_insert_rows_is_caught() -> None:
    source = (
        'def f(tx, rows, t):\n    tx.insert_rows("INSERT INTO t (a)", rows, f"ON CONFLICT {t}")\n'
    )
    assert len(scan_source(source)) == 1
