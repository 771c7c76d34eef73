"""Estimate notices after pass `final`: per account and user, with the countdown to the norm (worked numbers)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import OutgoingEmail
from billing.delivery.rules import norm_is_next
from billing.delivery.selectors import estimate_notice_ranges
from billing.delivery.services import estimate_notices_send
from billing.models import BillingChunk, BillingRun
from billing.run.services import run_in_process, run_start
from tests.factories import AccountLinkFactory, ChargeFactory, MeterFactory, UserFactory
from tests.servers import broker_on, own_redis, queued_tasks

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)


@pytest.fixture
def final_run(db):
    run = BillingRun.objects.create(
        month=NOVEMBER, pass_name="final", run_date=datetime.date(2026, 12, 4), chunk_size=2000, status="done"
    )
    return run


def estimated_account(kyiv, run, *, basis, number, kwh=212, estimate_number=1, language="en", email=None):
    user = UserFactory(email=email or f"{number}@example.com", full_name="Olena", preferred_language=language)
    link = AccountLinkFactory(user=user, account__district=kyiv, account__number=number)
    meter = MeterFactory(account=link.account, serial_number=f"S{number}")
    ChargeFactory(
        meter=meter, basis=basis, volume_kwh=kwh, billing_month=NOVEMBER, estimate_number=estimate_number, run=run
    )
    return link


@pytest.mark.parametrize(
    ("basis", "number", "cap", "expected"),
    [
        ("average", 1, 3, False),
        ("average", 2, 3, False),
        ("average", 3, 3, True),
        ("average", 3, 0, False),  # no cap: the norm never follows the average
        ("norm", 4, 3, False),
    ],
)
def test_the_norm_is_next_only_after_the_last_average_month(basis, number, cap, expected):
    assert norm_is_next(basis=basis, estimate_number=number, cap=cap) is expected


def test_the_third_average_month_warns_of_the_norm_with_the_next_window_close(kyiv, final_run):
    link = estimated_account(kyiv, final_run, basis="average", number="1000100001", estimate_number=3)
    assert estimate_notices_send(run_id=final_run.pk, first_account_id=0, last_account_id=10**9) == 1
    email = OutgoingEmail.objects.get()
    assert email.kind == "estimate_notice" and email.user_id == link.user_id and email.language == "en"
    assert email.subject == "No reading for November 2026: your bill is estimated"
    # Kyiv: December's window closes on 3 January.
    assert (
        "Meter S1000100001: no reading for November 2026, estimated at 212 kWh by your average use. "
        "Pass a reading by 3 January 2027 to avoid the norm: from December 2026 the norm applies "
        "unless you pass a reading."
    ) in email.body_text
    assert "/en/cabinet/accounts/1000100001/charges/" in email.body_text
    assert "/en/unsubscribe/" in email.body_text
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.dedup_key == f"estimate:2026-11:{link.account_id}:{link.user_id}"


def test_an_early_average_month_does_not_mention_the_norm(kyiv, dek, final_run):
    estimated_account(dek, final_run, basis="average", number="2000200001", kwh=180, estimate_number=1)
    estimate_notices_send(run_id=final_run.pk, first_account_id=0, last_account_id=10**9)
    body = OutgoingEmail.objects.get().body_text
    # DEK: December's window closes on 25 December.
    assert (
        "estimated at 180 kWh by your average use. Pass a reading by 25 December 2026 and the estimate is "
        "recalculated by your meter."
    ) in body
    assert "norm" not in body.split("--")[0].lower()


def test_a_norm_month_says_so(kyiv, final_run):
    estimated_account(kyiv, final_run, basis="norm", number="1000100003", kwh=130, estimate_number=4)
    estimate_notices_send(run_id=final_run.pk, first_account_id=0, last_account_id=10**9)
    assert "estimated at 130 kWh by the norm. Pass a reading by 3 January 2027" in OutgoingEmail.objects.get().body_text


def test_preferences_and_link_switches_are_respected_and_reruns_send_nothing(kyiv, final_run):
    wants = estimated_account(kyiv, final_run, basis="average", number="1000100001")
    off = estimated_account(kyiv, final_run, basis="average", number="1000100002")
    off.user.notify_estimates = False
    off.user.save()
    link_off = estimated_account(kyiv, final_run, basis="average", number="1000100004")
    link_off.notify_by_email = False
    link_off.save()
    assert estimate_notices_send(run_id=final_run.pk, first_account_id=0, last_account_id=10**9) == 1
    assert estimate_notices_send(run_id=final_run.pk, first_account_id=0, last_account_id=10**9) == 1  # still queued
    assert list(OutgoingEmail.objects.values_list("user_id", flat=True)) == [wants.user_id]


def test_actual_charges_get_no_notice(kyiv, final_run):
    link = estimated_account(kyiv, final_run, basis="average", number="1000100001")
    link.account.charges.update(basis="norm", run=None)
    assert estimate_notices_send(run_id=final_run.pk, first_account_id=0, last_account_id=10**9) == 0


def test_a_real_final_pass_queues_the_notices_on_commit_and_they_fan_out_by_its_chunks(
    kyiv, prices, django_capture_on_commit_callbacks, monkeypatch
):
    """A meter with no reading and no history: the norm, 65 kWh x 2 residents = 130 kWh."""
    link = AccountLinkFactory(account__district=kyiv, account__number="1000100009", user__preferred_language="en")
    MeterFactory(account=link.account, serial_number="09000009", installed_on=datetime.date(2026, 9, 1))
    run = run_start(month=NOVEMBER, pass_name="final", run_date=datetime.date(2026, 12, 4), now=timezone.now())
    # A broker of this test's own: nothing reaches the shared test broker (another suite's worker could take it).
    with own_redis() as broker, broker_on(broker.url()):
        with django_capture_on_commit_callbacks(execute=True):
            run_in_process(run=run)
        assert ("billing.tasks.estimate_notices_start", [run.pk], {}) in queued_tasks(broker)
    ranges = estimate_notice_ranges(run_id=run.pk)
    assert ranges == list(BillingChunk.objects.filter(run=run).values_list("first_account_id", "last_account_id"))
    for first, last in ranges:
        estimate_notices_send(run_id=run.pk, first_account_id=first, last_account_id=last)
    body = OutgoingEmail.objects.get(kind="estimate_notice").body_text
    assert "Meter 09000009: no reading for November 2026, estimated at 130 kWh by the norm." in body
