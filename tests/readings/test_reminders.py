"""Reminders to pass readings: who gets one, once, in their language, with the links they need."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import OutgoingEmail
from readings.models import ReadingStatus, Reminder
from readings.reminders import reminder_chunks, reminders_chunk_send
from readings.zones import TWO_ZONE
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory, UserFactory
from tests.servers import broker_on, own_redis, queued_tasks

pytestmark = pytest.mark.django_db

NOVEMBER = datetime.date(2026, 11, 1)
OPEN_DAY = datetime.date(2026, 11, 29)  # Kyiv's window for November opens (closes 3 December)


@pytest.fixture
def customer(kyiv):
    """Olena, English, with one Kyiv account that has a two-zone and a one-zone meter."""
    user = UserFactory(email="olena@example.com", full_name="Olena Kovalenko", preferred_language="en")
    link = AccountLinkFactory(user=user, account__district=kyiv, account__number="1000100001")
    MeterFactory(account=link.account, serial_number="02000007", zone_set=TWO_ZONE)
    MeterFactory(account=link.account, serial_number="03000009")
    return link


def run_day(today, now=None):
    """What the daily job and its chunk tasks do, here in this process."""
    emails = 0
    for chunk in reminder_chunks(today=today, chunk_size=2):
        kwargs = chunk.as_kwargs() | {"month": datetime.date.fromisoformat(chunk.month)}
        emails += reminders_chunk_send(**kwargs, now=now or timezone.now()).emails
    return emails


def test_on_the_opening_day_one_email_per_user_and_account_lists_the_meters(customer, settings):
    settings.PORTAL_URL = "https://portal.example"
    assert run_day(OPEN_DAY) == 1
    email = OutgoingEmail.objects.get()
    assert email.to_email == "olena@example.com" and email.language == "en" and email.kind == "reading_reminder"
    assert email.subject == "Pass your meter reading for November 2026 by 3 December 2026"
    body = email.body_text
    assert "Readings for November 2026 are accepted until 3 December 2026." in body
    assert "meter 02000007: Day (1.8.2, 15.8.2 or T22), Night (1.8.1, 15.8.1 or T21)" in body
    assert "meter 03000009: Total (1.8.0)" in body
    assert "https://portal.example/en/cabinet/accounts/1000100001/meters/02000007/reading/" in body
    assert "https://portal.example/en/readings/" in body
    assert "1 # 001952" in body and "Telegram" in body and "0 800 300 150" in body
    assert "https://portal.example/en/unsubscribe/" in body
    assert email.headers["List-Unsubscribe"].startswith("<https://portal.example/en/unsubscribe/")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.user_id == customer.user_id
    assert Reminder.objects.filter(month=NOVEMBER, kind="opens").count() == 2


def test_the_day_before_closing_reminds_again_with_its_own_words(customer):
    run_day(OPEN_DAY)
    assert run_day(datetime.date(2026, 12, 2)) == 1
    closing = OutgoingEmail.objects.get(dedup_key__startswith="reminder:closes")
    assert closing.subject == "Tomorrow is the last day to pass your reading for November 2026"
    assert "Tomorrow, 3 December 2026, is the last day" in closing.body_text


def test_a_rerun_sends_nothing_twice(customer):
    assert run_day(OPEN_DAY) == 1
    assert run_day(OPEN_DAY) == 0
    assert OutgoingEmail.objects.count() == 1 and Reminder.objects.count() == 2


def test_a_day_without_a_window_event_sends_nothing(customer):
    assert reminder_chunks(today=datetime.date(2026, 11, 15)) == []


def test_meters_with_a_counted_reading_are_not_listed(customer):
    two_zone = customer.account.meters.get(serial_number="02000007")
    ReadingFactory(meter=two_zone, day=28000, night=14000, reading_date=OPEN_DAY, billing_month=NOVEMBER, total=None)
    run_day(OPEN_DAY)
    body = OutgoingEmail.objects.get().body_text
    assert "03000009" in body and "02000007" not in body


@pytest.mark.parametrize("status", [ReadingStatus.ACCEPTED, ReadingStatus.PENDING_REVIEW])
def test_no_email_when_every_meter_has_a_reading(customer, status):
    for meter in customer.account.meters.all():
        values = {"total": 1200} if meter.zone_set == "total" else {"total": None, "day": 28000, "night": 14000}
        ReadingFactory(meter=meter, reading_date=OPEN_DAY, billing_month=NOVEMBER, status=status, **values)
    assert run_day(OPEN_DAY) == 0
    assert not OutgoingEmail.objects.exists()


def test_a_rejected_or_superseded_reading_does_not_count(customer):
    one_zone = customer.account.meters.get(serial_number="03000009")
    ReadingFactory(meter=one_zone, reading_date=OPEN_DAY, billing_month=NOVEMBER, status=ReadingStatus.REJECTED)
    run_day(OPEN_DAY)
    assert "03000009" in OutgoingEmail.objects.get().body_text


def test_no_email_when_the_link_has_emails_off(customer):
    customer.notify_by_email = False
    customer.save()
    assert run_day(OPEN_DAY) == 0
    assert not Reminder.objects.exists()


def test_no_email_when_reminders_are_off_in_the_profile(customer):
    customer.user.notify_reminders = False
    customer.user.save()
    assert run_day(OPEN_DAY) == 0


def test_only_the_family_member_who_wants_reminders_gets_one(customer):
    AccountLinkFactory(account=customer.account, notify_by_email=False)
    AccountLinkFactory(account=customer.account, user__preferred_language="uk", user__email="taras@example.com")
    assert run_day(OPEN_DAY) == 2
    assert sorted(OutgoingEmail.objects.values_list("to_email", flat=True)) == [
        "olena@example.com",
        "taras@example.com",
    ]


def test_removed_and_smart_meters_and_other_districts_are_left_out(customer, dek):
    MeterFactory(account=customer.account, serial_number="04000001", is_smart=True)
    MeterFactory(account=customer.account, serial_number="05000001", removed_on=datetime.date(2026, 6, 1))
    AccountLinkFactory(account__district=dek, user__email="dek@example.com")
    run_day(OPEN_DAY)
    email = OutgoingEmail.objects.get()
    assert "04000001" not in email.body_text and "05000001" not in email.body_text


def test_the_daily_task_fans_out_one_task_per_chunk(customer, monkeypatch):
    from readings import tasks

    monkeypatch.setattr(tasks.timezone, "localdate", lambda: OPEN_DAY)
    with own_redis() as broker, broker_on(broker.url()):
        tasks.reminders_daily()
        queued = [kwargs for name, _, kwargs in queued_tasks(broker) if name == "readings.tasks.reminders_chunk"]
    assert queued == [
        {
            "district_id": customer.account.district_id,
            "kind": "opens",
            "month": "2026-11-01",
            "first_account_id": customer.account_id,
            "last_account_id": customer.account_id,
        }
    ]
    assert tasks.reminders_chunk(**queued[0]) == 1


@pytest.fixture
def neighbours(customer):
    """Two more Kyiv accounts in the same chunk as Olena's, each with a user who wants reminders."""
    for number, email in (("1000100002", "taras@example.com"), ("1000100003", "iryna@example.com")):
        link = AccountLinkFactory(
            user__email=email, account__district=customer.account.district, account__number=number
        )
        MeterFactory(account=link.account, serial_number=f"S{number}")
    return customer


def sends(broker) -> list:
    """The email ids the queued send tasks name: a chunk's in batches (`emails_send`), the sweeper's one by
    one (`email_send`)."""
    ids = []
    for name, args, _ in queued_tasks(broker):
        if name == "accounts.tasks.emails_send":
            ids += args[0]
        elif name == "accounts.tasks.email_send":
            ids.append(args[0])
    return sorted(ids)


def test_a_chunk_that_crashes_halfway_and_reruns_sends_each_email_once(
    neighbours, monkeypatch, django_capture_on_commit_callbacks
):
    from readings import reminders

    drafted = []
    real_draft = reminders.ReminderTexts.draft

    def crash_at_the_third_email(self, **kwargs):
        if len(drafted) == 2:
            raise RuntimeError("worker lost mid-chunk")
        drafted.append(kwargs["email"])
        return real_draft(self, **kwargs)

    chunk = reminder_chunks(today=OPEN_DAY, chunk_size=10)[0].as_kwargs() | {"month": NOVEMBER}
    with own_redis() as broker, broker_on(broker.url()):
        monkeypatch.setattr(reminders.ReminderTexts, "draft", crash_at_the_third_email)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            reminders_chunk_send(**chunk, now=timezone.now())
        assert not Reminder.objects.exists() and not OutgoingEmail.objects.exists() and sends(broker) == []

        monkeypatch.setattr(reminders.ReminderTexts, "draft", real_draft)  # the task is delivered again
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_chunk_send(**chunk, now=timezone.now()).emails == 3
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_chunk_send(**chunk, now=timezone.now()).emails == 0  # and once more
        emails = OutgoingEmail.objects.order_by("to_email")
        assert [email.to_email for email in emails] == ["iryna@example.com", "olena@example.com", "taras@example.com"]
        assert sends(broker) == sorted(email.pk for email in emails)
    assert Reminder.objects.count() == 4


def test_with_the_broker_down_the_reminders_wait_in_the_outbox_and_the_sweeper_queues_them(
    neighbours, django_capture_on_commit_callbacks, caplog
):
    from accounts.services import email_requeue_due

    chunk = reminder_chunks(today=OPEN_DAY, chunk_size=10)[0].as_kwargs() | {"month": NOVEMBER}
    with own_redis() as broker, broker_on(broker.url()):
        broker.stop()
        with django_capture_on_commit_callbacks(execute=True):
            assert reminders_chunk_send(**chunk, now=timezone.now()).emails == 3
        assert any("not queued" in record.getMessage() for record in caplog.records)
        broker.start()  # back, empty; the sweeper runs every few minutes
        with django_capture_on_commit_callbacks(execute=True):
            assert email_requeue_due(now=timezone.now() + datetime.timedelta(minutes=5)) == 3
        assert sends(broker) == sorted(OutgoingEmail.objects.values_list("pk", flat=True))
        assert "Olena Kovalenko" in OutgoingEmail.objects.get(to_email="olena@example.com").body_text
