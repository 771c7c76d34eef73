"""The outbox: every email is a row first; a worker sends it once, retrying while SMTP is down."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from accounts.models import EmailStatus, OutgoingEmail
from accounts.services import email_deliver, email_enqueue, email_requeue_due, email_retry_now, retry_delay
from portal.celery import app as celery_app
from tests.readings.conftest import postgresql_only  # noqa: F401 - fixture
from tests.servers import HangingServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FlakySmtpHandler:
    """A real SMTP server that answers "451 try again later" to the first `failures` messages."""

    def __init__(self, failures: int):
        self.failures = failures
        self.rejected = 0
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.failures > 0:
            self.failures -= 1
            self.rejected += 1
            return "451 4.3.0 Temporary failure, try again later"
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    handler = FlakySmtpHandler(failures=2)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    yield handler
    controller.stop()


def queue(**overrides):
    fields = {
        "to_email": "olena@example.com",
        "subject": "Ваш рахунок готовий",
        "body_text": "Доброго дня!",
        "language": "uk",
        "kind": "test",
        **overrides,
    }
    return email_enqueue(**fields)


@pytest.mark.django_db
def test_enqueue_records_the_email_before_anything_is_sent():
    email = queue(body_html="<p>Доброго дня!</p>")
    assert email.status == EmailStatus.QUEUED and email.attempts == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_same_dedup_key_records_one_email():
    first = queue(dedup_key="reminder:1:2026-11")
    second = queue(dedup_key="reminder:1:2026-11", subject="again")
    assert first.pk == second.pk
    assert OutgoingEmail.objects.count() == 1


@pytest.mark.django_db
def test_deliver_sends_once_even_if_the_task_runs_twice():
    email = queue(body_html="<p>Доброго дня!</p>")
    now = timezone.now()
    assert email_deliver(email_id=email.pk, now=now).status == "sent"
    assert email_deliver(email_id=email.pk, now=now).status == "skipped"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at) == (EmailStatus.SENT, 1, now)


@pytest.mark.django_db
def test_smtp_down_means_retry_later_with_backoff_then_failed(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody there
    settings.OUTBOX_MAX_ATTEMPTS, settings.OUTBOX_RETRY_BASE_SECONDS = 3, 60
    email = queue()
    now = timezone.now()
    first = email_deliver(email_id=email.pk, now=now)
    assert (first.status, first.retry_in) == ("retry", 60)
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED and email.next_attempt_at == now + timedelta(seconds=60)
    assert "ConnectionRefusedError" in email.last_error
    assert email_deliver(email_id=email.pk, now=now).status == "skipped"  # not due: a duplicate task
    second = email_deliver(email_id=email.pk, now=now + timedelta(seconds=60))
    assert second.retry_in == 120
    assert email_deliver(email_id=email.pk, now=now + timedelta(seconds=180)).status == "failed"
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 3)
    assert "ConnectionRefusedError" in email.last_error


def test_backoff_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30) == settings.OUTBOX_RETRY_MAX_SECONDS


@pytest.mark.django_db
def test_overdue_emails_are_queued_again_and_staff_can_resend_failed_ones():
    overdue = queue()
    OutgoingEmail.objects.filter(pk=overdue.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    queue()  # due just now: within the grace period, its own task is still on its way
    assert email_requeue_due(now=timezone.now()) == 1
    failed = queue()
    OutgoingEmail.objects.filter(pk=failed.pk).update(status=EmailStatus.FAILED, attempts=8)
    assert email_retry_now(email_ids=[failed.pk], now=timezone.now()) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (EmailStatus.QUEUED, 0)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_smtp_failing_then_recovering_the_email_goes_out_once(smtp_server, settings):
    """A real worker, a real SMTP server that refuses twice: the customer gets exactly one email."""
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        email = queue()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            email.refresh_from_db()
            if email.status != EmailStatus.QUEUED:
                break
            time.sleep(0.3)
    assert email.status == EmailStatus.SENT
    assert email.attempts == 3
    assert smtp_server.rejected == 2
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].rcpt_tos == ["olena@example.com"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql_only")  # row locks: SQLite has none to hold
def test_a_hanging_smtp_server_times_out_counts_the_attempt_and_holds_no_row_lock(settings):
    """An SMTP server that accepts and never answers: the send gives up after EMAIL_TIMEOUT, and while it
    waits the outbox row is not locked (staff may resend it, the sweeper may look at it)."""
    from django.db import DatabaseError, transaction

    server = HangingServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    email = queue()
    outcome = {}
    sender = threading.Thread(
        target=lambda: outcome.update(delivery=email_deliver(email_id=email.pk, now=timezone.now()))
    )
    try:
        sender.start()
        assert server.accepted.wait(10), "the send reached the hanging server"
        try:
            with transaction.atomic():
                OutgoingEmail.objects.select_for_update(nowait=True).get(pk=email.pk)
        except DatabaseError as error:
            pytest.fail(f"the outbox row is locked while SMTP hangs: {error}")
        email.refresh_from_db()
        assert email.attempts == 1  # counted before the send: a worker killed now still counts it
        sender.join(20)
        assert not sender.is_alive()
    finally:
        server.close()
    assert (outcome["delivery"].status, outcome["delivery"].retry_in) == ("retry", 60)
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED and "timed out" in email.last_error


class RejectingSmtpHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"


@pytest.mark.django_db
def test_a_permanent_rejection_fails_at_once_and_staff_see_why(settings, admin_client):
    port = free_port()
    controller = Controller(RejectingSmtpHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    try:
        email = queue(to_email="nobody@example.com")
        assert email_deliver(email_id=email.pk, now=timezone.now()).status == "failed"
    finally:
        controller.stop()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 1)
    outbox = admin_client.get("/admin/accounts/outgoingemail/?status__exact=failed")
    assert "Recipient address rejected: User unknown" in outbox.content.decode()


@pytest.mark.django_db
def test_a_batch_records_each_email_once_and_counts_what_still_waits(django_capture_on_commit_callbacks):
    """`emails_enqueue` (a chunk's reminders and notices; COPY on PostgreSQL): a rerun of the same batch adds
    nothing and reports the emails not sent yet, and queues their sends again; a sent one is not counted."""
    from accounts.services import EmailDraft, emails_enqueue

    drafts = [
        EmailDraft(
            to_email=f"c{number}@example.com",
            subject="Reminder",
            body_text=f"Hello, {number}!",
            language="uk",
            kind="reading_reminder",
            dedup_key=f"batch:{number}",
            headers={"List-Unsubscribe": f"<https://portal.example/unsubscribe/{number}/>"},
        )
        for number in range(3)
    ]
    with django_capture_on_commit_callbacks() as first:
        assert emails_enqueue(drafts) == 3
    emails = OutgoingEmail.objects.order_by("dedup_key")
    assert [(e.to_email, e.body_text, e.status) for e in emails] == [
        (f"c{number}@example.com", f"Hello, {number}!", EmailStatus.QUEUED) for number in range(3)
    ]
    assert emails[2].headers == {"List-Unsubscribe": "<https://portal.example/unsubscribe/2/>"}
    OutgoingEmail.objects.filter(dedup_key="batch:0").update(status=EmailStatus.SENT, sent_at=timezone.now())
    with django_capture_on_commit_callbacks() as again:
        assert emails_enqueue(drafts + drafts[2:]) == 2  # the sent one is done; a key twice is one email
    assert OutgoingEmail.objects.count() == 3 and len(first) == len(again) == 1


@pytest.mark.django_db
def test_a_send_batch_sends_each_email_once_and_hands_a_refused_one_to_its_retry(smtp_server, settings):
    """A chunk's emails go out in batches (`emails_send`, one task per 25): the flaky server refuses the
    first two for now; those two are queued as `email_send` after their backoff, the third is sent, and a
    second delivery of the same batch sends nothing again."""
    from accounts.tasks import emails_send
    from tests.servers import broker_on, own_redis, queued_tasks

    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    emails = [queue(to_email=f"c{number}@example.com", dedup_key=f"batch-send:{number}") for number in range(3)]
    ids = [email.pk for email in emails]
    with own_redis() as broker, broker_on(broker.url()):
        assert emails_send(ids) == 1
        assert emails_send(ids) == 0  # redelivered: the sent one is done, the refused ones are not due yet
        retries = [args for name, args, _ in queued_tasks(broker) if name == "accounts.tasks.email_send"]
    assert sorted(retries) == [[ids[0]], [ids[1]]]
    assert [envelope.rcpt_tos for envelope in smtp_server.received] == [["c2@example.com"]]
    assert list(OutgoingEmail.objects.order_by("pk").values_list("status", "attempts")) == [
        (EmailStatus.QUEUED, 1),
        (EmailStatus.QUEUED, 1),
        (EmailStatus.SENT, 1),
    ]
