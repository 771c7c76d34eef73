"""The tables every billing chunk writes carry no index that costs an insert for nothing: none led by another
index's columns (a query by its columns uses the longer one), and none holding a column that is empty when the
run writes the row (those indexes are partial: only the rows that have it)."""

import pytest
from django.db import connection

WRITE_PATH = ("billing_charge", "billing_invoice", "billing_invoiceitem", "billing_opencharge")
# Columns the run leaves empty on insert: an index on one of them holds only the rows where it is set.
EMPTY_ON_INSERT = {
    "billing_charge": {"reverses_id"},
    "billing_invoice": {"print_batch_id", "created_by_id", "replaces_id", "cancels_id"},
    "billing_invoiceitem": {"payment_id"},
    "billing_opencharge": set(),
}
# Unique constraints Django makes for a one-to-one field: full indexes by nature, NULLs are cheap to skip there.
ONE_TO_ONE = {"billing_charge_reverses_id_key", "billing_invoice_replaces_id_key", "billing_invoice_cancels_id_key"}

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalog"),
]


def indexes(table: str) -> list[tuple[str, list[str], bool, bool, str]]:
    """(name, columns, unique, partial, operator classes) of each index of the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname,
                   array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n),
                   x.indisunique, x.indpred IS NOT NULL, pg_get_indexdef(x.indexrelid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = %s
            """,
            [table],
        )
        return [
            (name, list(columns), unique, partial, definition) for name, columns, unique, partial, definition in cursor
        ]


@pytest.mark.parametrize("table", WRITE_PATH)
def test_no_plain_index_is_led_by_another(table):
    found = indexes(table)
    led = [
        f"{name} {columns} is led by {other} {other_columns}"
        for name, columns, unique, partial, _ in found
        if not unique and not partial
        for other, other_columns, _, other_partial, _ in found
        if other != name and not other_partial and other_columns[: len(columns)] == columns
    ]
    assert led == []


@pytest.mark.parametrize("table", WRITE_PATH)
def test_no_like_index_and_mostly_empty_columns_are_indexed_only_where_set(table):
    found = indexes(table)
    assert [name for name, *_, definition in found if "pattern_ops" in definition] == []
    full = [
        name
        for name, columns, _, partial, _ in found
        if columns[0] in EMPTY_ON_INSERT[table] and not partial and name not in ONE_TO_ONE
    ]
    assert full == []


def foreign_keys(table: str) -> set[str]:
    """The columns of the table that carry a foreign key constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.attname FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
            WHERE t.relname = %s AND c.contype = 'f'
            """,
            [table],
        )
        return {column for (column,) in cursor}


def statement_checked(table: str) -> dict[str, set[str]]:
    """The columns the table's statement triggers check (docs/decisions.md "Keys checked once per statement"), by
    the event (INSERT, UPDATE) each trigger fires on."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT CASE WHEN t.tgtype & 4 <> 0 THEN 'INSERT' ELSE 'UPDATE' END, t.tgargs FROM pg_trigger t
            JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE t.tgrelid = %s::regclass AND p.proname = 'portal_keys_present' AND t.tgtype & 1 = 0
            """,
            [table],
        )
        checked: dict[str, set[str]] = {}
        for event, arguments in cursor:
            names = bytes(arguments).decode().split("\x00")[:-1]
            checked.setdefault(event, set()).update(names[0::2])
        return checked


def test_every_id_the_run_writes_is_checked_but_the_run_pointers():
    # docs/decisions.md "The run pointers": the run writes its own id into its charges and invoices, in its
    # own transaction; that check was 6-8 us a row. Every other id stays checked by the database: the ones
    # the run sets on every row once per statement, the others (empty on the run's rows) by foreign keys.
    by_statement = {
        "billing_charge": {"account_id", "meter_id", "reading_id"},
        "billing_invoice": {"account_id", "district_id"},
        "billing_invoiceitem": {"invoice_id", "charge_id"},
        "billing_meterbillingstate": {"meter_id", "last_reading_id"},
    }
    for table, columns in by_statement.items():
        assert statement_checked(table) == {"INSERT": columns, "UPDATE": columns}, table
    assert foreign_keys("billing_charge") == {"reverses_id"}
    assert foreign_keys("billing_invoice") == {"print_batch_id", "replaces_id", "cancels_id", "created_by_id"}
    assert foreign_keys("billing_invoiceitem") == {"payment_id"}
    assert foreign_keys("billing_meterbillingstate") == set()
    # The open items are written by triggers from the rows being inserted (docs/decisions.md "The open items").
    assert foreign_keys("billing_opencharge") == foreign_keys("billing_openpayment") == set()
