"""A chunk's reads do not grow with its accounts' history: a utility keeps ten years of charges and invoices,
and the run must read what it bills this month, not every month before (docs/decisions.md "The run's reads
of history").

Two chunks of the same pass, the same size and the same October, one with a year of invoiced history and one
with four, each billed and invoiced in a savepoint rolled back after (so both see the run as it is at its
start) while PostgreSQL counts the rows each table gives the transaction (`pg_stat_xact_user_tables`). The
planner's statistics are fresh, as autovacuum keeps them. Named to run after test_run_reads_bounded.py and
test_run_reads_open_items.py: what it rolls back bloats the tables until a vacuum, which can turn their plans.
"""

import datetime
from collections import Counter
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import PersonalAccount
from accounts.windows import add_months
from billing.models import BillingChunk, Invoice, MeterBillingState
from billing.run.services import chunk_bill, run_start
from readings.models import Channel, Meter, Reading

D = datetime.date
NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))
OCTOBER, RUN_DATE = D(2026, 10, 1), D(2026, 11, 3)
CHUNK = 300
YEARS = (1, 4)  # of the first chunk's accounts, of the second's
# The tables that grow with the years (the others hold a row or two per meter or account, whose reads
# test_run_reads_bounded.py bounds).
HISTORY_TABLES = ("readings_reading", "billing_charge", "billing_invoice", "billing_invoiceitem")


def history(years: int) -> list[datetime.date]:
    """The 28th of each of the `years` x 12 months before October 2026, oldest first."""
    return [add_months(OCTOBER, -k).replace(day=28) for k in range(12 * years, 0, -1)]


# Per reading before October an actual charge from the reading before; per account and month an invoice of it,
# paid, due 17 days after its issue on the 3rd of the next month (none unexpired on the run date); its items.
# Numbered in a series of their own (year 2000), apart from the run's, by the id of their charge: the items need
# no join (joined by account and month, with statistics an earlier test left, it was a nested loop of 3 minutes).
INVOICED_HISTORY = """
INSERT INTO billing_charge (account_id, meter_id, zone, basis, volume_kwh, price, amount, billing_month,
                            span_start, span_end, reading_id, created_at)
SELECT m.account_id, m.id, 'total', 'actual', 200, 4.32, 864.00, r.billing_month,
       coalesce(lag(r.reading_date) OVER (PARTITION BY m.id ORDER BY r.reading_date), m.installed_on),
       r.reading_date, r.id, now()
  FROM readings_meter m JOIN readings_reading r ON r.meter_id = m.id AND r.billing_month < %(month)s;
INSERT INTO billing_invoice (number, year, sequence, kind, status, billing_month, issued_on, due_on, issued_at,
       currency, opening_balance, charges_total, payments_total, amount_due, paid_on, language, account_number,
       holder_name, address, district_name, district_phone, supplier, content, qr_data, paper_copy,
       void_reason, pdf, account_id, district_id)
SELECT 'H-' || c.account_id || '-' || c.billing_month, 2000, c.id, 'auto', 'paid',
       c.billing_month, c.billing_month + interval '1 month 2 days', c.billing_month + interval '1 month 19 days',
       c.billing_month + interval '1 month 2 days', 'UAH', 0, 864.00, 864.00, 0,
       c.billing_month + interval '1 month 9 days', 'uk', a.number, a.holder_name, a.address, 'Київ', '',
       '{}'::jsonb, '{}'::jsonb, '', false, '', '', a.id, a.district_id
  FROM billing_charge c JOIN accounts_personalaccount a ON a.id = c.account_id;
INSERT INTO billing_invoiceitem (invoice_id, charge_id, active)
SELECT i.id, i.sequence, true FROM billing_invoice i WHERE i.year = 2000;
ANALYZE;
"""


def utility(district) -> None:
    """Two chunks of `hybrid` accounts (one one-zone meter each, read on the 28th, +200 kWh a month, billed and
    invoiced to September): the first's read for a year, the second's for four; October read on the 30th."""
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(
            number=f"{7_000_000_000 + n}",
            district=district,
            address="вул. Садова, 3",
            holder_name="Бондар І.",
            invoice_mode="hybrid",
        )
        for n in range(CHUNK * len(YEARS))
    )
    meters = Meter.objects.bulk_create(
        Meter(
            account=account, serial_number=f"RH{n:08d}", zone_set="total", installed_on=D(2022, 1, 1), install_total=0
        )
        for n, account in enumerate(accounts)
    )
    days = {meter.pk: [*history(YEARS[n // CHUNK]), D(2026, 10, 30)] for n, meter in enumerate(meters)}
    readings = Reading.objects.bulk_create(
        Reading(
            meter=meter,
            reading_date=day,
            billing_month=day.replace(day=1),
            zone_set="total",
            total=200 * (step + 1),
            channel=Channel.CABINET,
            submitted_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))),
        )
        for meter in meters
        for step, day in enumerate(days[meter.pk])
    )
    september = {reading.meter_id: reading for reading in readings if reading.reading_date == D(2026, 9, 28)}
    MeterBillingState.objects.bulk_create(
        MeterBillingState(
            meter=meter, last_reading=september[meter.pk], last_date=D(2026, 9, 28), last_billed_month=D(2026, 9, 1)
        )
        for meter in meters
    )
    with connection.cursor() as cursor:
        cursor.execute(INVOICED_HISTORY, {"month": OCTOBER})
        # The history's foreign keys checked now, as its commit would have: the test's transaction would check
        # them in the chunk's statement that checks its own (billing.invoices.services._number_rows).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def rows_read() -> Counter:
    """Rows each table of history gave this transaction so far, by sequential and by index scans."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s)",
            [list(HISTORY_TABLES)],
        )
        return Counter(dict(cursor.fetchall()))


class Rollback(Exception):
    pass


def test_a_chunk_reads_the_same_rows_with_four_years_of_history_as_with_one(postgresql_only, prices, kyiv):
    utility(kyiv)
    run = run_start(month=OCTOBER, pass_name="actual", run_date=RUN_DATE, now=NOW, chunk_size=CHUNK)
    chunks = list(BillingChunk.objects.filter(run=run).order_by("index"))
    reads, printed = [], []
    for chunk in chunks:
        try:
            with transaction.atomic():
                before = rows_read()
                chunk_bill(chunk_id=chunk.pk, now=NOW, queue_documents=False)
                reads.append(rows_read() - before)
                in_chunk = {"account_id__gte": chunk.first_account_id, "account_id__lte": chunk.last_account_id}
                printed.append(
                    [
                        (
                            invoice.amount_due,
                            tuple((row["previous"], row["current"]) for row in invoice.content["readings"]),
                        )
                        for invoice in Invoice.objects.filter(**in_chunk, run=run)
                    ]
                )
                raise Rollback
        except Rollback:
            pass

    one_year, four_years = reads
    # The same rows, give or take the few the planner reads at an index's ends when a value lies past its
    # statistics. Before, the four years' chunk read 14,400 more charges and 10,800 more invoices: the invoice
    # candidates read every invoice of a hybrid account (for whether one is unexpired), the "previous"
    # readings every actual charge of the chunk's accounts (and then every reading of the utility).
    assert all(abs(four_years[table] - one_year[table]) <= 10 for table in HISTORY_TABLES), (one_year, four_years)
    # And a few a chunk account: its newest invoice (the opening balance), the new charge and the one before
    # it, L's and R's readings, and the key checks of what the chunk writes.
    bounds = {"readings_reading": 7, "billing_charge": 5, "billing_invoice": 4, "billing_invoiceitem": 1}
    assert all(one_year[table] <= bounds[table] * CHUNK for table in HISTORY_TABLES), one_year
    # Each account invoiced October's 200 kWh x 4.32 = 864.00 UAH, from September's reading (the charge that
    # ended where October's started) to October's.
    for chunk_printed, years in zip(printed, YEARS, strict=True):
        assert len(chunk_printed) == CHUNK
        september, october = 200 * 12 * years, 200 * (12 * years + 1)
        assert set(chunk_printed) == {(Decimal("864.00"), ((september, october),))}, chunk_printed[:2]
