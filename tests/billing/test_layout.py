"""The billing package shows what it does and its modules import one way: the monthly run (`billing.run`),
invoices (`billing.invoices`), payments (`billing.payments`) and tariffs (`billing.tariffs`) have no import
cycle with each other or with the tasks, import nothing inside functions to dodge one, and their pure modules
import no Django. Read from the source (ast), so a cycle is caught even where Python's import order happens to
hide it."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAID_OUT = ("billing.run", "billing.invoices", "billing.payments", "billing.tariffs", "billing.tasks")
PURE = (
    "billing.money",
    "billing.estimates",
    "billing.tariffs",
    "billing.tariffs.versions",
    "billing.run.plan",
    "billing.invoices.content",
    "billing.invoices.texts",
    "billing.payments.matching",
    "billing.payments.amounts",
    "billing.payments.acquiring",
    "billing.payments.statements",
    "billing.payments.statements.lines",
    "billing.payments.statements.bankcsv",
    "billing.payments.statements.camt",
    "billing.payments.statements.onec",
    "billing.payments.statements.portalcsv",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in (ROOT / "billing").rglob("*.py") if "migrations" not in path.parts}


def imported(node: ast.AST) -> list[str]:
    """The project modules an import statement loads (`from billing.x import y` is billing.x.y when that is a
    module, else billing.x)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [
            f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
            for alias in node.names
        ]
    return []


def graph() -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        edges[name] = {target for node in tree.body for target in imported(node) if target in MODULES}
    return edges


def laid_out(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in LAID_OUT)


def test_the_run_invoices_and_tasks_have_no_import_cycle():
    edges = graph()
    cycles = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for target in sorted(edges[node]):
            if target == start:
                cycles.append(" -> ".join([*path, target]))
            elif target not in path and target > start:  # each cycle once, from its smallest module
                walk(start, target, [*path, target])

    for name in sorted(edges):
        if laid_out(name):
            walk(name, name, [name])
    assert [cycle for cycle in cycles if any(laid_out(part) for part in cycle.split(" -> "))] == []


def test_no_import_inside_a_function_of_the_run_invoices_or_tasks():
    inside = []
    for name, path in MODULES.items():
        if not laid_out(name):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [
                    f"{name}.{node.name}: {ast.unparse(inner)}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
    assert inside == []


def test_pure_modules_import_no_django_even_through_billing():
    edges = graph()
    for name in PURE:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            seen.add(current)
            todo += [target for target in edges[current] if target not in seen]
        for module in seen:
            tree = ast.parse(MODULES[module].read_text())
            names = [target for node in tree.body for target in imported(node)]
            assert not [target for target in names if target.split(".")[0] == "django"], (name, module)


@pytest.mark.parametrize("module", sorted(name for name in MODULES if laid_out(name)))
def test_each_module_imports_on_its_own(module):
    """A fresh interpreter importing one module first: an import order that only works because something
    else was loaded before fails here."""
    code = f"import django; django.setup(); import {module}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("module", PURE)
def test_each_pure_module_imports_without_django(module):
    """What the ast check cannot see: a module outside billing (or a package's `__init__`) that loads Django."""
    code = f"import sys; import {module}; print(sorted(name for name in sys.modules if name.startswith('django')))"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
