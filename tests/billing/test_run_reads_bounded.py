"""A chunk of the monthly run reads its own accounts' rows, not the tables: its cost must not grow with the
number of customers or the years of history (a million accounts bill in 200 chunks of 5,000; a chunk that
scanned every reading would read the whole table 200 times a pass).

Measured with PostgreSQL's own counters of the rows each table gave this transaction
(`pg_stat_xact_user_tables`), on 2,000 accounts with a year of monthly readings, the planner's statistics
fresh, as the run's tables are in production. Tariff 4.32 UAH/kWh (the `prices` fixture).
"""

import datetime

from django.db import connection
from django.utils import timezone

from accounts.models import PersonalAccount
from billing.models import BillingChunk, Charge, Invoice, MeterBillingState
from billing.run.services import chunk_bill, run_start
from readings.models import Channel, Meter, Reading

D = datetime.date
NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))
ACCOUNTS, CHUNK = 2_000, 400
TABLES = ("readings_reading", "billing_meterbillingstate", "billing_invoice", "billing_charge")
HISTORY = [D(2025, 10, 28), D(2025, 11, 28), D(2025, 12, 28)] + [D(2026, month, 28) for month in range(1, 10)]


def utility(district) -> None:
    """2,000 supplier accounts with one one-zone meter each, read on the 28th of every month for a year
    (+200 kWh a month), billed to September; October read on the 30th (+200 kWh: 864.00 UAH)."""
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(
            number=f"{6_000_000_000 + n}",
            district=district,
            address="вул. Лісова, 7",
            holder_name="Коваленко О.",
            invoice_mode="supplier",
        )
        for n in range(ACCOUNTS)
    )
    meters = Meter.objects.bulk_create(
        Meter(
            account=account, serial_number=f"RB{n:08d}", zone_set="total", installed_on=D(2025, 1, 1), install_total=0
        )
        for n, account in enumerate(accounts)
    )
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
        for step, day in enumerate([*HISTORY, D(2026, 10, 30)])
    )
    september = {reading.meter_id: reading for reading in readings if reading.reading_date == HISTORY[-1]}
    MeterBillingState.objects.bulk_create(
        MeterBillingState(
            meter=meter,
            last_reading=september[meter.pk],
            last_date=HISTORY[-1],
            last_billed_month=D(2026, 9, 1),
        )
        for meter in meters
    )
    analyze()


def analyze() -> None:
    """Fresh planner statistics, as autovacuum keeps them on a production database."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def rows_read() -> dict[str, int]:
    """Rows each table gave this transaction so far, by sequential and by index scans."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s)",
            [list(TABLES)],
        )
        return dict(cursor.fetchall())


def test_the_last_chunk_of_a_pass_reads_its_own_rows_only(postgresql_only, prices, kyiv):
    utility(kyiv)
    run = run_start(month=D(2026, 10, 1), pass_name="actual", run_date=D(2026, 11, 3), now=NOW, chunk_size=CHUNK)
    *first, last = BillingChunk.objects.filter(run=run).order_by("index")
    for chunk in first:  # 1,600 accounts billed and invoiced before the chunk measured
        chunk_bill(chunk_id=chunk.pk, now=NOW, queue_documents=False)
    analyze()

    before = rows_read()
    chunk_bill(chunk_id=last.pk, now=NOW, queue_documents=False)
    after = rows_read()

    read = {table: after.get(table, 0) - before.get(table, 0) for table in TABLES}
    # A few rows per account of its own 400: L's and R's readings, the new charges' and states' key checks, the
    # pending charges and the invoice candidates' probes. Scanning the tables instead reads 13 readings and
    # the other chunks' charges for every account of the utility (28,002 readings, 3,200 charges before).
    assert read["readings_reading"] <= 6 * CHUNK, read
    assert read["billing_meterbillingstate"] <= 4 * CHUNK, read
    assert read["billing_charge"] <= 5 * CHUNK, read
    assert read["billing_invoice"] <= 2 * CHUNK, read
    # And it billed: 400 October charges of 200 kWh x 4.32 = 864.00 UAH, one invoice each.
    last_accounts = {"account_id__gte": last.first_account_id, "account_id__lte": last.last_account_id}
    amounts = list(Charge.objects.filter(**last_accounts).values_list("amount", flat=True))
    assert len(amounts) == CHUNK and {str(amount) for amount in amounts} == {"864.00"}
    assert Invoice.objects.filter(**last_accounts, amount_due="864.00").count() == CHUNK
