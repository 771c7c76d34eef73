"""A chunk's invoices are issued set-based: the same statements for 3 accounts as for 30 (no list of ids
grows with the chunk, no statement per invoice), and each invoice carries exactly its own account's lines."""

import datetime
import re
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.invoices.services import auto_invoices_issue
from billing.models import BillingRun, Invoice
from tests.factories import MeterFactory, PersonalAccountFactory
from tests.factories.billing import ChargeFactory

D = datetime.date
NOW = timezone.make_aware(datetime.datetime(2026, 11, 4, 2, 0))


def accounts_with_a_charge(district, count: int, first_number: int) -> list[int]:
    """`count` supplier accounts, each with one meter and October's norm charge of 130 + its index kWh."""
    ids = []
    for index in range(count):
        account = PersonalAccountFactory(district=district, number=str(first_number + index), invoice_mode="supplier")
        ChargeFactory(meter=MeterFactory(account=account), volume_kwh=130 + index)
        ids.append(account.pk)
    return ids


def issue(run, ids) -> tuple[list[int], list[str]]:
    """Issue the invoices of the id range; the statements it ran, numbers masked (a list of ids would show
    as more of them)."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        issued = auto_invoices_issue(first_account_id=min(ids), last_account_id=max(ids), run=run, now=NOW)
    return issued.ids, [re.sub(r"\d+", "N", query["sql"]) for query in queries.captured_queries]


def test_the_issue_of_a_chunk_is_the_same_statements_for_3_accounts_as_for_30(postgresql_only, kyiv):
    # PostgreSQL: rows go in by COPY there; SQLite's bulk_create batches grow with the rows.
    small, large = accounts_with_a_charge(kyiv, 3, 4_000_000_000), accounts_with_a_charge(kyiv, 30, 4_100_000_000)
    run = BillingRun.objects.create(
        month=D(2026, 10, 1),
        pass_name="final",
        run_date=D(2026, 11, 4),
        chunk_size=100,
        started_at=NOW,
        heartbeat_at=NOW,
    )

    small_ids, small_statements = issue(run, small)
    large_ids, large_statements = issue(run, large)

    assert (len(small_ids), len(large_ids)) == (3, 30)
    assert small_statements == large_statements and len(large_statements) <= 8
    # Each invoice has its own account's line: 130 + index kWh x 4.32.
    for index, account_id in enumerate(large):
        invoice = Invoice.objects.get(account_id=account_id)
        (line,) = invoice.content["lines"]
        assert line["volume"] == 130 + index
        assert invoice.amount_due == (Decimal(130 + index) * Decimal("4.32")).quantize(Decimal("0.01"))
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(range(1, 34))
