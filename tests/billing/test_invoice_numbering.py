"""Invoice numbers under concurrency, on PostgreSQL: two transactions issuing in one district at the same
moment take consecutive blocks of the series, and a rolled-back one gives its numbers back."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from billing.invoices.services import invoices_issue
from billing.models import Invoice
from tests.factories import DistrictFactory, PersonalAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)

OCTOBER = datetime.date(2026, 10, 1)
ISSUED_ON = datetime.date(2026, 11, 3)


def issue_in_thread(account_ids, barrier, errors, fail=False):
    try:
        with transaction.atomic():
            barrier.wait(timeout=10)
            invoices_issue(
                account_ids=account_ids, kind="auto", billing_month=OCTOBER, issued_on=ISSUED_ON, now=timezone.now()
            )
            if fail:
                raise RuntimeError("the chunk crashes after taking its numbers")
    except RuntimeError:
        pass
    except Exception as error:  # noqa: BLE001 - reported to the test
        errors.append(error)
    finally:
        connection.close()


def run_concurrently(groups, fail=()):
    barrier, errors = threading.Barrier(len(groups)), []
    threads = [
        threading.Thread(target=issue_in_thread, args=(group, barrier, errors, index in fail))
        for index, group in enumerate(groups)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_two_issuers_in_one_district_leave_no_gap_and_no_duplicate(postgresql_only):
    district = DistrictFactory(code="KYIV")
    accounts = [PersonalAccountFactory(district=district).pk for _ in range(60)]
    run_concurrently([accounts[:30], accounts[30:]])
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 61))
    assert len(set(Invoice.objects.values_list("number", flat=True))) == 60


def test_a_crashed_issuer_gives_its_numbers_back(postgresql_only):
    district = DistrictFactory(code="KYIV")
    accounts = [PersonalAccountFactory(district=district).pk for _ in range(40)]
    run_concurrently([accounts[:20], accounts[20:]], fail={0})
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(range(1, 21))
    run_concurrently([accounts[:20]])  # the crashed chunk, run again
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(range(1, 41))
