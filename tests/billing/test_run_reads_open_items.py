"""A chunk of the monthly run finds its accounts' pending charges through the open items
(billing/models/open_items.py), not by reading their history: measured with PostgreSQL's counters of the
rows each table gave the transaction, as tests/billing/test_run_reads_bounded.py does (this file runs after
it: a run of 2,000 accounts rolled back leaves the tables' pages and indexes bloated until a vacuum, which
can turn that test's plans)."""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.windows import add_months
from billing.models import BillingChunk, Charge, Invoice, OpenCharge
from billing.run.services import chunk_bill, run_start
from tests.billing.test_invoices import OCTOBER_ACTUAL, account_with_meter
from tests.billing.test_run_reads_bounded import CHUNK, analyze, utility
from tests.billing.test_run_reads_years import INVOICED_HISTORY
from tests.factories.billing import ChargeFactory

D = datetime.date
OCTOBER = D(2026, 10, 1)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))


def test_a_chunk_reads_its_accounts_open_items_not_their_history(postgresql_only, prices, kyiv):
    """2,000 accounts with a year of invoiced charges; the last chunk of 400 is measured. Finding the pending
    charges as those without an active item probed the items of all 12 old charges of every account (4,800
    item rows for 400 accounts, 48,000 with ten years); the open items hold the chunk's new charges only."""
    utility(kyiv)
    with connection.cursor() as cursor:
        cursor.execute(INVOICED_HISTORY, {"month": OCTOBER})
    assert not OpenCharge.objects.exists()  # the history is all taken
    analyze()
    run = run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=NOW, chunk_size=CHUNK)
    *first, last = BillingChunk.objects.filter(run=run).order_by("index")
    for chunk in first:
        chunk_bill(chunk_id=chunk.pk, now=NOW, queue_documents=False)
    analyze()

    tables = ("billing_invoiceitem", "billing_opencharge")
    with connection.cursor() as cursor:
        query = (
            "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)"
        )
        cursor.execute(query, [list(tables)])
        before = dict(cursor.fetchall())
        chunk_bill(chunk_id=last.pk, now=NOW, queue_documents=False)
        cursor.execute(query, [list(tables)])
        after = dict(cursor.fetchall())

    read = {table: after.get(table, 0) - before.get(table, 0) for table in tables}
    assert read["billing_invoiceitem"] <= CHUNK // 10, read
    assert read["billing_opencharge"] <= 2 * CHUNK, read
    # And the invoices are the month's alone: 200 kWh x 4.32 = 864.00, not the year's charges again.
    in_chunk = {"account_id__gte": last.first_account_id, "account_id__lte": last.last_account_id}
    assert Invoice.objects.filter(**in_chunk, run=run, charges_total="864.00").count() == CHUNK
    assert not OpenCharge.objects.exists()


def test_the_run_does_not_fetch_the_open_charges_of_accounts_it_never_invoices(postgresql_only, prices, kyiv):
    """A `self` account's customer who never asked for an invoice has three years of norm charges open (36 of
    130 kWh x 4.32 = 561.60). The run invoices only supplier and hybrid accounts: the statement that fetches
    the chunk's open charges, with their meters and readings, returns the supplier account's two only."""
    invoiced = account_with_meter(kyiv, "1000000001", "supplier")
    never_asks = account_with_meter(kyiv, "1000000002", "self", october_reading=False, april_reading=False)
    for month in range(36):
        ChargeFactory(meter=never_asks.meters.get(), billing_month=add_months(D(2023, 10, 1), month))
    run = run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=NOW, chunk_size=10)
    (chunk,) = BillingChunk.objects.filter(run=run)
    fetched = []

    def count_open_charges_fetched(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if '"billing_opencharge"' in sql and sql.startswith('SELECT "billing_charge"'):
            fetched.append(context["cursor"].rowcount)
        return result

    with connection.execute_wrapper(count_open_charges_fetched):
        chunk_bill(chunk_id=chunk.pk, now=NOW, queue_documents=False)

    assert fetched == [2]  # October's day and night of the supplier account
    (invoice,) = Invoice.objects.filter(account=invoiced)
    assert invoice.charges_total == OCTOBER_ACTUAL
    open_amounts = Charge.objects.filter(open_item__account=never_asks).values_list("amount", flat=True)
    assert sum(open_amounts) == 36 * Decimal("561.60")  # waiting for the customer's invoice
