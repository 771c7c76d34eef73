"""Every billing module imports at its top, so its dependencies are in plain sight and a cycle cannot hide
behind a function-level import (tests/billing/test_layout.py checks the laid-out packages and tasks for
cycles)."""

import ast

from tests.billing.test_layout import DEFERRED, MODULES, imported


def test_no_import_inside_a_function_of_billing():
    inside = []
    for name, path in sorted(MODULES.items()):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [
                    f"{name}.{node.name}: {ast.unparse(inner)}"
                    for inner in ast.walk(node)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                    # WeasyPrint, loaded by the first PDF (test_layout.DEFERRED says why)
                    and not all(target.split(".")[0] in DEFERRED.get(name, ()) for target in imported(inner))
                ]
    assert inside == []
