"""Every billing module imports at its top, so its dependencies are in plain sight and a cycle cannot hide
behind a function-level import (tests/billing/test_layout.py checks the laid-out packages and tasks for
cycles)."""

from tests.billing.test_layout import DEFERRED, MODULES
from tests.import_graph import imports_inside_functions


def test_no_import_inside_a_function_of_billing():
    # WeasyPrint, loaded by the first PDF (test_layout.DEFERRED says why)
    def deferred(module: str, targets: list[str]) -> bool:
        return all(target.split(".")[0] in DEFERRED.get(module, ()) for target in targets)

    assert imports_inside_functions(MODULES, deferred) == []
