"""The billing package shows what it does and its modules import one way: the monthly run (`billing.run`),
invoices (`billing.invoices`), payments (`billing.payments`), tariffs (`billing.tariffs`), documents
(`billing.documents`) and delivery (`billing.delivery`) have no import cycle with each other, with the tasks or
with any other billing module, import nothing inside functions to dodge one, and their pure modules import no
Django. Read from the source (ast), so a cycle is caught even where Python's import order happens to hide it."""

import ast
import os
import subprocess
import sys

import pytest

from tests.import_graph import ROOT, cycles, graph, imported, modules_of

LAID_OUT = (
    "billing.run",
    "billing.invoices",
    "billing.payments",
    "billing.tariffs",
    "billing.documents",
    "billing.delivery",
    "billing.tasks",
)
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
    "billing.documents.lines",
    "billing.delivery.rules",
)
# The imports a laid-out module may make inside a function: none to dodge a cycle, only a heavy library
# loaded by the first call that needs it. WeasyPrint's import is about 2 s of CPU (`python -X importtime`:
# cffi loading Pango), which every Django process would pay at start (the admin and the URLs import the
# services that render a missing PDF), though only workers and the odd missing PDF draw one.
DEFERRED = {"billing.documents.pdf": ("weasyprint",)}


MODULES = modules_of("billing")


def laid_out_cycles(edges: dict[str, set[str]]) -> list[str]:
    """The import cycles that pass through a laid-out module."""
    return [cycle for cycle in cycles(edges) if any(laid_out(part) for part in cycle.split(" -> "))]


def laid_out(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in LAID_OUT)


def test_the_laid_out_packages_and_tasks_have_no_import_cycle():
    assert laid_out_cycles(graph(MODULES)) == []


def test_the_cycle_check_finds_a_cycle_through_a_laid_out_module():
    """Also one whose smallest module is not laid out (the admin importing a service that imports it back);
    a cycle among modules that are not laid out is not this test's business."""
    edges = {
        "billing.admin_invoices": {"billing.documents.services"},
        "billing.documents.services": {"billing.delivery.services"},
        "billing.delivery.services": {"billing.admin_invoices"},
        "billing.views": {"billing.selectors"},
        "billing.selectors": {"billing.views"},
    }
    assert laid_out_cycles(edges) == [
        "billing.admin_invoices -> billing.documents.services -> billing.delivery.services -> billing.admin_invoices"
    ]


def test_pure_modules_import_no_django_even_through_billing():
    edges = graph(MODULES)
    for name in PURE:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            seen.add(current)
            todo += [target for target in edges[current] if target not in seen]
        for module in seen:
            tree = ast.parse(MODULES[module].read_text())
            names = [target for node in tree.body for target in imported(node, MODULES)]
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
