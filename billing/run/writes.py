"""Fast, idempotent writes of a chunk's charges and billing states.

On PostgreSQL the rows go in by COPY into a temporary table, then one INSERT ... ON CONFLICT: the
unique constraints still drop a duplicate (a rerun, a second worker) instead of doubling it, and the
Python side skips Django's per-value SQL building, which is most of the cost of bulk_create at this
size. Other databases (SQLite for `make run`) use bulk_create with the same conflict handling.
"""

from datetime import datetime

from django.db import connection

from billing.models import BillingRun, Charge, Invoice, MeterBillingState, OpenCharge
from billing.run.plan import ChargeLine, NewState

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


# What a pass writes and the next one reads by the month: the charges, the billing states, the invoices and
# their open items.
PASS_TABLES = [model._meta.db_table for model in (Charge, MeterBillingState, Invoice, OpenCharge)]


def pass_statistics_refresh() -> None:
    """Fresh planner statistics of the tables a pass reads, taken when it starts (PostgreSQL's sampled ANALYZE:
    about 30,000 rows a table, whatever its size).

    Autovacuum analyzes a table after a tenth of it has changed: a month of a utility's history is far less,
    so on the 4th the statistics knew no invoice of the month though the 3rd had issued 80 % of them. The
    final pass's candidates then expected one invoice where a chunk had 4,000, and PostgreSQL compared every
    account of the chunk with every invoice (bench/RESULTS.md, session 7: 650 ms a chunk of 5,000 instead of
    a probe per account)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(PASS_TABLES)}")
