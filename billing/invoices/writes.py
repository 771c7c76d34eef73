"""Writing issued invoices and their items: COPY on PostgreSQL, bulk_create elsewhere."""

import orjson
from django.db import connection

from billing.models import Invoice, InvoiceItem

# Every column of an invoice but its id, in the order of the table; `invoice_row` gives them all.
INVOICE_COLUMNS = [field.attname for field in Invoice._meta.concrete_fields if not field.primary_key]
NULL = "\\N"  # COPY's text format for NULL
SUPPLIER_POSITION, CONTENT_POSITION = 1 + INVOICE_COLUMNS.index("supplier"), 1 + INVOICE_COLUMNS.index("content")


_SEQUENCES: dict[str, str] = {}


def invoice_json(value: dict) -> str:
    """An invoice's JSON (content, supplier) as the text COPY writes: orjson, 15 times json.dumps' speed on a
    run's contents (docs/decisions.md). Only JSON's own types may be in it (content.py builds strings of
    dates and amounts): orjson would write a date as ISO where json.dumps refused it, so dates are passed
    through to no default and fail loudly, as a Decimal does."""
    return orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _invoice_id_sequence(cursor) -> str:
    """The name of billing_invoice's id sequence, asked once per process."""
    if "invoice" not in _SEQUENCES:
        cursor.execute("SELECT pg_get_serial_sequence('billing_invoice', 'id')")
        _SEQUENCES["invoice"] = cursor.fetchone()[0]
    return _SEQUENCES["invoice"]


def insert_invoices(rows: list[dict], items: list[tuple[int, int | None, int | None]]) -> list[int]:
    """Insert invoice rows (dicts of INVOICE_COLUMNS) and their items (index of the row, charge id,
    payment id); returns the new ids in the order of the rows. On PostgreSQL the ids come from the
    sequence first and both go in by COPY: no model instance, no quoting of the JSON by Django. The unique
    constraints hold all the same: a duplicate fails the chunk."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        invoices = Invoice.objects.bulk_create([Invoice(**row) for row in rows])
        ids = [invoice.pk for invoice in invoices]
        InvoiceItem.objects.bulk_create(
            [
                InvoiceItem(invoice_id=ids[index], charge_id=charge, payment_id=payment)
                for index, charge, payment in items
            ],
            batch_size=5000,
        )
        return ids
    columns = ", ".join(["id", *(Invoice._meta.get_field(name).column for name in INVOICE_COLUMNS)])
    suppliers: dict[int, str] = {}  # the supplier's details are one dict per district: dumped once
    with connection.cursor() as cursor:
        # The sequence's name goes in as a literal: PostgreSQL resolves `'name'::regclass` once, when it parses
        # the statement, whereas `pg_get_serial_sequence(...)` in the select list ran for every id (15-20 ms of
        # catalog lookups for 4,000 ids against 1.4 ms).
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [_invoice_id_sequence(cursor), len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY billing_invoice ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                supplier = suppliers.get(id(row["supplier"]))
                if supplier is None:
                    supplier = suppliers[id(row["supplier"])] = invoice_json(row["supplier"])
                values = [pk, *map(row.__getitem__, INVOICE_COLUMNS)]
                values[SUPPLIER_POSITION] = supplier
                values[CONTENT_POSITION] = invoice_json(row["content"])
                copy.write_row(values)
        with cursor.cursor.copy(
            "COPY billing_invoiceitem (invoice_id, charge_id, payment_id, active) FROM STDIN"
        ) as copy:
            # Integers and NULLs only: the text format written in one piece, not a row at a time.
            copy.write(
                "".join(
                    f"{ids[index]}\t{charge if charge is not None else NULL}\t"
                    f"{payment if payment is not None else NULL}\tt\n"
                    for index, charge, payment in items
                )
            )
    return ids
