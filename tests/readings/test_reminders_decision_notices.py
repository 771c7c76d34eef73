"""The customer hears by email what staff decided about a reading that waited for review."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import OutgoingEmail
from readings.models import ReadingStatus
from readings.notices import reading_decision_notify
from readings.services import reading_review
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(kyiv):
    link = AccountLinkFactory(
        account__district=kyiv,
        account__number="1000100001",
        user__preferred_language="en",
        user__full_name="Olena Kovalenko",
    )
    meter = MeterFactory(account=link.account, serial_number="03000009")
    return ReadingFactory(
        meter=meter,
        total=9100,
        reading_date=datetime.date(2026, 11, 30),
        billing_month=datetime.date(2026, 11, 1),
        status=ReadingStatus.PENDING_REVIEW,
    )


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


def decide(reading, staff, decision, reason, capture):
    from readings import tasks

    with capture(execute=False) as callbacks:
        recorded = reading_review(reading=reading, decision=decision, reason=reason, staff=staff, now=timezone.now())
    assert len(callbacks) == 1  # the notice task is queued only once the decision commits
    assert reading_decision_notify(decision_id=recorded.pk) == 1
    assert tasks.reading_decision_notice.name == "readings.tasks.reading_decision_notice"
    return recorded


def test_an_accepted_reading_is_confirmed_with_its_month(pending, staff, django_capture_on_commit_callbacks):
    decide(pending, staff, "accept", "", django_capture_on_commit_callbacks)
    email = OutgoingEmail.objects.get()
    assert email.kind == "reading_decision" and email.language == "en"
    assert email.subject == "Your reading of 30 November 2026 is accepted"
    assert "and accepted it. It counts for the bill for November 2026." in email.body_text
    assert "- Total (1.8.0): 9100" in email.body_text
    assert "/en/cabinet/accounts/1000100001/meters/03000009/history/" in email.body_text


def test_a_rejection_carries_the_staff_reason_and_the_link_to_pass_it_again(
    pending, staff, django_capture_on_commit_callbacks
):
    decide(pending, staff, "reject", "The photo shows 9 010, not 9 100.", django_capture_on_commit_callbacks)
    email = OutgoingEmail.objects.get()
    assert email.subject == "Your reading of 30 November 2026 was not accepted"
    assert "The reason: The photo shows 9 010, not 9 100." in email.body_text
    assert "/en/cabinet/accounts/1000100001/meters/03000009/reading/" in email.body_text
    assert email.headers["List-Unsubscribe"].startswith("<")


def test_no_decision_email_when_turned_off_and_never_twice(pending, staff, django_capture_on_commit_callbacks):
    AccountLinkFactory(account=pending.meter.account, user__notify_decisions=False)
    AccountLinkFactory(account=pending.meter.account, notify_by_email=False)
    with django_capture_on_commit_callbacks(execute=False):
        recorded = reading_review(reading=pending, decision="accept", reason="", staff=staff, now=timezone.now())
    assert reading_decision_notify(decision_id=recorded.pk) == 1
    reading_decision_notify(decision_id=recorded.pk)
    assert OutgoingEmail.objects.count() == 1
