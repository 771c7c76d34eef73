"""Each pass starts with fresh planner statistics of what the last one wrote (`pass_statistics_refresh`).

Autovacuum analyzes a table once a tenth of it has changed, and a month of a utility with years of history
is far less: on the 4th the statistics still said no invoice of the month existed, the 3rd having issued
most of them. The final pass's candidates then joined every account of a chunk with every invoice of the
chunk's month (a nested loop with a join filter: 4,000,000 comparisons for a chunk of 5,000 in
bench/RESULTS.md, session 7) instead of one probe an account. Measured by PostgreSQL's own count of the rows
the plan's join filters compared and dropped, as EXPLAIN ANALYZE reports it.
"""

import datetime
import json

from django.db import connection
from django.utils import timezone

from billing.invoices.selectors import auto_invoice_candidates
from billing.models import BillingChunk, Invoice
from billing.run.services import chunk_bill, run_start
from tests.billing.test_run_reads_bounded import CHUNK, analyze, utility
from tests.billing.test_run_reads_years import INVOICED_HISTORY

D = datetime.date
OCTOBER = D(2026, 10, 1)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))


def join_filter_drops(queryset) -> int:
    """Rows the plan's joins compared and dropped, summed over its nodes (EXPLAIN ANALYZE)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def dropped(node: dict) -> int:
        own = node.get("Rows Removed by Join Filter", 0) * node.get("Actual Loops", 1)
        return own + sum(dropped(child) for child in node.get("Plans", []))

    return dropped(plan[0]["Plan"])


def test_the_final_pass_plans_with_the_actual_pass_invoices_known(postgresql_only, prices, kyiv):
    """2,000 accounts with a year of invoiced history; the 3rd invoices all of them (864.00 each). On the 4th
    every account of a chunk is probed once for its invoice of the month: none is compared with the others'."""
    utility(kyiv)
    with connection.cursor() as cursor:
        cursor.execute(INVOICED_HISTORY, {"month": OCTOBER})
    analyze()  # the statistics as autovacuum left them before the 3rd: a year of invoices, none of October
    actual = run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=NOW, chunk_size=CHUNK)
    for chunk in BillingChunk.objects.filter(run=actual):
        chunk_bill(chunk_id=chunk.pk, now=NOW, queue_documents=False)
    assert Invoice.objects.filter(run=actual, charges_total="864.00").count() == 2_000

    final = run_start(month=OCTOBER, pass_name="final", run_date=D(2026, 11, 4), now=NOW, chunk_size=CHUNK)
    chunk = BillingChunk.objects.filter(run=final).order_by("index").last()
    candidates = auto_invoice_candidates(
        first_account_id=chunk.first_account_id, last_account_id=chunk.last_account_id, run=final
    )
    assert join_filter_drops(candidates) <= CHUNK
    assert not candidates.exists()  # every account has its October invoice
