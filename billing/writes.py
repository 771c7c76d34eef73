"""Fast, idempotent writes of a chunk's results.

On PostgreSQL the rows go in by COPY into a temporary table, then one INSERT ... ON CONFLICT: the
unique constraints still drop a duplicate (a rerun, a second worker) instead of doubling it, and the
Python side skips Django's per-value SQL building, which is most of the cost of bulk_create at this
size. Other databases (SQLite for `make run`) use bulk_create with the same conflict handling.
"""

import json
from datetime import datetime

from django.db import connection

from billing.models import BillingRun, Charge, Invoice, InvoiceItem, MeterBillingState
from billing.plan import ChargeLine, NewState

CHARGE_COLUMNS = [
    "account_id",
    "meter_id",
    "zone",
    "basis",
    "volume_kwh",
    "price",
    "amount",
    "billing_month",
    "span_start",
    "span_end",
    "reading_id",
    "reverses_id",
    "estimate_number",
    "run_id",
    "created_at",
]
STATE_COLUMNS = ["meter_id", "last_reading_id", "last_date", "estimated_months", "last_billed_month", "closed"]


def _charge_row(line: ChargeLine, run: BillingRun, now: datetime) -> tuple:
    return (
        line.account_id,
        line.meter_id,
        line.zone,
        line.basis,
        line.volume,
        line.price,
        line.amount,
        run.month,
        line.span_start,
        line.span_end,
        line.reading_id,
        line.reverses_id,
        line.estimate_number,
        run.pk,
        now,
    )


def insert_charges(lines: list[ChargeLine], *, run: BillingRun, now: datetime) -> None:
    if not lines:
        return
    if connection.vendor != "postgresql":
        charges = [Charge(**dict(zip(CHARGE_COLUMNS, _charge_row(line, run, now), strict=True))) for line in lines]
        Charge.objects.bulk_create(charges, batch_size=5000, ignore_conflicts=True)
        return
    columns = ", ".join(CHARGE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS chunk_charges ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM billing_charge WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY chunk_charges ({columns}) FROM STDIN") as copy:
            for line in lines:
                copy.write_row(_charge_row(line, run, now))
        cursor.execute(
            f"INSERT INTO billing_charge ({columns}) SELECT {columns} FROM chunk_charges ON CONFLICT DO NOTHING"
        )
        cursor.execute("DELETE FROM chunk_charges")


def _state_row(state: NewState) -> tuple:
    return (
        state.meter_id,
        state.last_reading_id,
        state.last_date,
        state.estimated_months,
        state.last_billed_month,
        state.closed,
    )


def upsert_states(states: list[NewState]) -> None:
    if not states:
        return
    if connection.vendor != "postgresql":
        MeterBillingState.objects.bulk_create(
            [MeterBillingState(**dict(zip(STATE_COLUMNS, _state_row(state), strict=True))) for state in states],
            batch_size=5000,
            update_conflicts=True,
            unique_fields=["meter"],
            update_fields=["last_reading", "last_date", "estimated_months", "last_billed_month", "closed"],
        )
        return
    columns = ", ".join(STATE_COLUMNS)
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in STATE_COLUMNS[1:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS chunk_states ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM billing_meterbillingstate WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY chunk_states ({columns}) FROM STDIN") as copy:
            for state in states:
                copy.write_row(_state_row(state))
        cursor.execute(
            f"INSERT INTO billing_meterbillingstate ({columns}) SELECT {columns} FROM chunk_states "
            f"ON CONFLICT (meter_id) DO UPDATE SET {updates}"
        )
        cursor.execute("DELETE FROM chunk_states")


# --- Invoices -----------------------------------------------------------------------------------------


# Every column of an invoice but its id, in the order of the table; `invoice_row` gives them all.
INVOICE_COLUMNS = [field.attname for field in Invoice._meta.concrete_fields if not field.primary_key]
SUPPLIER_POSITION, CONTENT_POSITION = 1 + INVOICE_COLUMNS.index("supplier"), 1 + INVOICE_COLUMNS.index("content")


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
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('billing_invoice', 'id')) FROM generate_series(1, %s)", [len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY billing_invoice ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                supplier = suppliers.get(id(row["supplier"]))
                if supplier is None:
                    supplier = suppliers[id(row["supplier"])] = json.dumps(row["supplier"], ensure_ascii=False)
                values = [pk, *map(row.__getitem__, INVOICE_COLUMNS)]
                values[SUPPLIER_POSITION] = supplier
                values[CONTENT_POSITION] = json.dumps(row["content"], ensure_ascii=False)
                copy.write_row(values)
        with cursor.cursor.copy(
            "COPY billing_invoiceitem (invoice_id, charge_id, payment_id, active) FROM STDIN"
        ) as copy:
            for index, charge, payment in items:
                copy.write_row((ids[index], charge, payment, True))
    return ids
