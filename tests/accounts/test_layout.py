"""The accounts app imports one way: no cycle among its modules (services never import tasks: they queue them
by name after the commit), no import inside a function to dodge one, and nothing from the apps built on it
(billing, readings). Read from the source (ast), so a cycle is caught even where Python's import order
happens to hide it."""

import ast
import re

from accounts import services, tasks
from accounts.notices import Notice, kinds_of_notices, notice_of_kind
from billing import email_kinds as billing_email_kinds
from portal.celery import app
from readings import email_kinds as readings_email_kinds
from tests.import_graph import cycles, graph, imported, imports_inside_functions, modules_of

MODULES = modules_of("accounts")


def test_the_cycle_finder_finds_a_cycle():
    """The check below must be able to fail: two modules importing each other are reported."""
    edges = {"accounts.services": {"accounts.tasks"}, "accounts.tasks": {"accounts.services"}, "accounts.x": set()}
    assert cycles(edges) == ["accounts.services -> accounts.tasks -> accounts.services"]


def test_accounts_modules_have_no_import_cycle():
    assert cycles(graph(MODULES)) == []


def test_services_do_not_import_tasks():
    assert "accounts.tasks" not in graph(MODULES)["accounts.services"]


def test_no_import_inside_a_function_of_accounts():
    assert imports_inside_functions(MODULES) == []


def test_accounts_imports_nothing_from_the_apps_built_on_it():
    names = [
        f"{name}: {target}"
        for name, path in MODULES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        for target in imported(node, MODULES)
        if target.split(".")[0] in ("billing", "readings")
    ]
    assert names == []


def test_the_send_tasks_services_queue_by_name_are_registered():
    """A typo in a name would only show as an error log after the commit: the names must be the tasks'."""
    assert services.EMAIL_SEND == tasks.email_send.name
    assert services.EMAILS_SEND == tasks.emails_send.name
    assert {services.EMAIL_SEND, services.EMAILS_SEND} <= set(app.tasks)


def test_the_outbox_names_no_email_kind_of_the_apps_built_on_it():
    """Billing and readings declare their kinds and the notice each obeys; accounts' source names none."""
    kinds = [kind.code for kind in (*billing_email_kinds.KINDS, *readings_email_kinds.KINDS)]
    named = [
        f"{name}: {kind}"
        for name, path in MODULES.items()
        for kind in kinds
        if re.search(rf"(?<![\w.]){kind}(?!\w)", path.read_text())  # not a task's name such as ..._notices_missing
    ]
    assert named == []


def test_the_declared_kinds_obey_their_notices():
    assert notice_of_kind("invoice_ready") == Notice.INVOICES
    assert notice_of_kind("estimate_notice") == Notice.ESTIMATES
    assert notice_of_kind("reading_reminder") == Notice.REMINDERS
    assert notice_of_kind("reading_decision") == Notice.DECISIONS
    assert notice_of_kind("password_reset_key") is None
    assert kinds_of_notices([Notice.INVOICES, Notice.ESTIMATES]) == ["estimate_notice", "invoice_ready"]
