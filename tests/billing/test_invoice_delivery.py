"""Getting issued invoices to customers (billing/documents, billing/delivery): the PDF rendered once under a
name nobody can guess, the "your invoice is ready" email with the PDF attached in each user's language, print
batches per district for the paper copies, and the whole chain on a real Celery worker."""

import datetime
import re
import shutil
import subprocess
import time
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import OutgoingEmail
from accounts.services import email_deliver
from billing.delivery.services import invoice_ready_notify
from billing.documents import services as documents
from billing.documents.services import invoice_render, print_batch_mark_printed, print_batches_build
from billing.invoices.services import invoice_generate, invoice_void
from billing.models import Invoice, PrintBatch
from billing.run.services import run_in_process, run_start
from readings.zones import TWO_ZONE
from tests.factories import (
    AccountLinkFactory,
    DistrictFactory,
    MeterFactory,
    PersonalAccountFactory,
    ReadingFactory,
    UserFactory,
)
from tests.readings.conftest import aware

PDFINFO, PDFTOTEXT = shutil.which("pdfinfo"), shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(None in (PDFINFO, PDFTOTEXT), reason="apt-get install poppler-utils")

D = datetime.date
OCTOBER = D(2026, 10, 1)
ISSUED = D(2026, 11, 2)  # pay by 16 November 2026
NOW = aware(ISSUED, 12)
LATER = aware(ISSUED, 18)
LINKED = aware(D(2026, 10, 5))  # the users linked the account before the invoice was issued


@pytest.fixture(autouse=True)
def own_media(settings, tmp_path):
    """PDFs go to this test's folder (other test runs may clear the shared test media meanwhile)."""
    settings.MEDIA_ROOT = tmp_path / "media"


def two_zone_account(district, number, *, paper_copy=False, invoice_mode="self"):
    """An account whose October reading bills 893 kWh by day and 414 by night: 4,752.00 UAH."""
    account = PersonalAccountFactory(district=district, number=number, paper_copy=paper_copy, invoice_mode=invoice_mode)
    meter = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
    )
    ReadingFactory(
        meter=meter,
        zone_set=TWO_ZONE,
        total=None,
        day=27893,
        night=13914,
        reading_date=D(2026, 10, 30),
        billing_month=OCTOBER,
        submitted_at=aware(D(2026, 10, 30)),
    )
    return account


@pytest.fixture
def users():
    return {
        "uk": UserFactory(preferred_language="uk"),
        "ru": UserFactory(preferred_language="ru"),
        "en": UserFactory(preferred_language="en"),
        "silent": UserFactory(preferred_language="uk"),
    }


@pytest.fixture
def invoice(prices, kyiv, users):
    """A self-generated invoice of an account linked to four users; one has email notifications off."""
    account = two_zone_account(kyiv, "1000100001")
    for key, user in users.items():
        AccountLinkFactory(account=account, user=user, notify_by_email=key != "silent", created_at=LINKED)
    return invoice_generate(account=account, user=users["uk"], today=ISSUED, now=NOW)


# --- The PDF, rendered once -------------------------------------------------------------------------


def test_render_stores_the_pdf_once_under_an_unguessable_name(invoice):
    assert invoice.amount_due == Decimal("4752.00")
    assert invoice_render(invoice_id=invoice.pk, now=NOW) is True

    invoice.refresh_from_db()
    name = invoice.pdf.name
    assert name != f"invoices/{invoice.number}.pdf"
    assert name.startswith("invoices/") and name.endswith(".pdf")
    random_part = name.removeprefix(f"invoices/{invoice.number}").removesuffix(".pdf")
    assert re.fullmatch(r"-[A-Za-z0-9_-]{20,}", random_part), name
    assert invoice.pdf_rendered_at == NOW
    with invoice.pdf.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"

    assert invoice_render(invoice_id=invoice.pk, now=LATER) is False  # a second task finds it done
    invoice.refresh_from_db()
    assert (invoice.pdf.name, invoice.pdf_rendered_at) == (name, NOW)


def test_two_invoices_never_share_the_random_part(prices, kyiv):
    first, second = (
        invoice_generate(account=two_zone_account(kyiv, number), user=None, today=ISSUED, now=NOW)
        for number in ("1000100011", "1000100012")
    )
    for invoice in (first, second):
        invoice_render(invoice_id=invoice.pk, now=NOW)
        invoice.refresh_from_db()
    tokens = {invoice.pdf.name.rsplit("-", 1)[-1] for invoice in (first, second)}
    assert len(tokens) == 2


# --- "Your invoice is ready" ------------------------------------------------------------------------


def test_each_user_who_wants_email_gets_one_in_their_language(invoice, users):
    invoice_render(invoice_id=invoice.pk, now=NOW)

    emails = {email.to_email: email for email in OutgoingEmail.objects.filter(kind="invoice_ready")}
    assert set(emails) == {users[key].email for key in ("uk", "ru", "en")}  # not the one with email off
    for key, amount, pay_by, path in (
        ("uk", "4 752,00 грн", "16 листопада 2026", "/cabinet/"),
        ("ru", "4 752,00 грн", "16 ноября 2026", "/ru/cabinet/"),
        ("en", "4,752.00 UAH", "16 November 2026", "/en/cabinet/"),
    ):
        email = emails[users[key].email]
        assert email.language == key
        assert invoice.number in email.subject
        assert amount in email.body_text.replace("\u00a0", " ")
        assert pay_by in email.body_text
        assert f"{path}accounts/1000100001/invoices/{invoice.number}/" in email.body_text
        assert email.attachment_name == f"{invoice.number}.pdf"
        assert email.attachment_path == Invoice.objects.get(pk=invoice.pk).pdf.name
    assert emails[users["en"].email].subject == f"Your invoice {invoice.number} is ready"


def test_the_subject_is_translated(invoice, users):
    """Needs the lead's catalog entries for "Your invoice %(number)s is ready" (see the report)."""
    invoice_render(invoice_id=invoice.pk, now=NOW)

    subjects = dict(OutgoingEmail.objects.values_list("language", "subject"))
    assert subjects["uk"] == f"Ваш рахунок {invoice.number} готовий"
    assert subjects["ru"] == f"Ваш счёт {invoice.number} готов"


def test_no_email_for_an_invoice_issued_before_the_person_linked_the_account(invoice, users):
    """Linking an account whose invoices were issued before is not news: the customer finds them in the
    cabinet. Someone who linked earlier is told as usual."""
    newcomer = UserFactory(preferred_language="uk")
    AccountLinkFactory(account=invoice.account, user=newcomer, created_at=LATER)  # linked after the issue
    late_same_day = UserFactory(preferred_language="uk")  # linked on the day it was dated, before its PDF
    AccountLinkFactory(account=invoice.account, user=late_same_day, created_at=aware(ISSUED, 11))
    invoice_render(invoice_id=invoice.pk, now=LATER)

    recipients = set(OutgoingEmail.objects.filter(kind="invoice_ready").values_list("to_email", flat=True))
    assert recipients == {users[key].email for key in ("uk", "ru", "en")} | {late_same_day.email}
    assert newcomer.email not in recipients


def test_only_the_latest_invoice_is_announced_when_old_pdfs_render_late(prices, kyiv, users):
    """A backlog of PDFs (the demo loader's year of invoices, a worker that was down) renders all at once:
    the customer gets one email, for the latest invoice, not twelve."""
    account = two_zone_account(kyiv, "1000100002")
    AccountLinkFactory(account=account, user=users["uk"], created_at=LINKED)
    older = invoice_generate(account=account, user=users["uk"], today=ISSUED, now=NOW)
    meter = account.meters.get()
    ReadingFactory(
        meter=meter,
        zone_set=TWO_ZONE,
        total=None,
        day=28100,
        night=14010,
        reading_date=D(2026, 11, 18),
        billing_month=D(2026, 11, 1),
        submitted_at=aware(D(2026, 11, 18)),
    )
    latest = invoice_generate(account=account, user=users["uk"], today=D(2026, 11, 20), now=aware(D(2026, 11, 20)))
    assert older.pk != latest.pk

    for invoice in (older, latest):
        invoice_render(invoice_id=invoice.pk, now=aware(D(2026, 11, 20), 13))
    emails = list(OutgoingEmail.objects.filter(kind="invoice_ready"))
    assert len(emails) == 1
    assert latest.number in emails[0].subject and older.number not in emails[0].subject
    assert f"Ваш рахунок {latest.number} готовий" == emails[0].subject


def test_rendering_or_notifying_twice_sends_nothing_twice(invoice):
    invoice_render(invoice_id=invoice.pk, now=NOW)
    invoice_render(invoice_id=invoice.pk, now=LATER)
    invoice.refresh_from_db()
    assert invoice_ready_notify(invoice=invoice) == 3  # enqueued again: the dedup key keeps one row each

    assert OutgoingEmail.objects.filter(kind="invoice_ready").count() == 3


def test_a_void_invoice_is_not_announced(invoice):
    staff = UserFactory(is_staff=True)
    invoice_void(invoice=invoice, reason="Помилка", staff=staff, today=ISSUED, now=NOW, reissue=False)

    assert invoice_render(invoice_id=invoice.pk, now=NOW) is True  # the PDF, with its stamp, is still kept
    assert not OutgoingEmail.objects.exists()


def test_the_email_carries_the_pdf(invoice, users):
    invoice_render(invoice_id=invoice.pk, now=NOW)
    email = OutgoingEmail.objects.get(to_email=users["uk"].email)
    mail.outbox.clear()

    assert email_deliver(email_id=email.pk, now=LATER).status == "sent"

    (message,) = mail.outbox
    assert message.to == [users["uk"].email]
    (attachment,) = message.attachments
    name, content, mimetype = attachment
    assert (name, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as stored:
        assert content == stored.read()


# --- Paper copies: print batches ---------------------------------------------------------------------


@pytest.fixture
def paper_invoices(prices):
    """October's supplier invoices of five accounts in two districts: three get paper in Kyiv (one of
    them is voided), one in Dnipro; one in Kyiv, read online by a linked user, does not."""
    kyiv = DistrictFactory(code="KYIV", name="Київська філія")
    dnipro = DistrictFactory(code="DNIPRO", name="Дніпровська філія")
    accounts = [
        two_zone_account(kyiv, "1000100003", paper_copy=True, invoice_mode="supplier"),
        two_zone_account(kyiv, "1000100001", paper_copy=True, invoice_mode="supplier"),
        two_zone_account(kyiv, "1000100002", paper_copy=True, invoice_mode="supplier"),
        two_zone_account(kyiv, "1000100004", paper_copy=False, invoice_mode="supplier"),  # read online: linked
        two_zone_account(dnipro, "2000100001", paper_copy=True, invoice_mode="supplier"),
    ]
    AccountLinkFactory(account=accounts[3])
    run = run_in_process(
        run=run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=NOW, chunk_size=10)
    )
    invoices = {invoice.account_number: invoice for invoice in Invoice.objects.filter(run=run)}
    assert len(invoices) == len(accounts)
    invoice_void(
        invoice=invoices["1000100002"],
        reason="Помилка",
        staff=UserFactory(is_staff=True),
        today=ISSUED,
        now=NOW,
        reissue=False,
    )
    return run, invoices


def pdf_pages_text(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    info = subprocess.run([PDFINFO, str(path)], capture_output=True, check=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    text = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    texts = text.split("\f")[:pages]
    assert len(texts) == pages
    return texts


@needs_poppler
def test_print_batches_one_per_district_with_one_page_per_invoice(paper_invoices, tmp_path):
    run, invoices = paper_invoices

    batches = {batch.district.code: batch for batch in print_batches_build(run=run, now=LATER)}

    assert set(batches) == {"KYIV", "DNIPRO"}
    # No cancelled invoice, no paperless one; the cancellation of 1000100002's invoice goes on paper as well.
    expected = {"KYIV": ["1000100001", "1000100002", "1000100003"], "DNIPRO": ["2000100001"]}
    invoices["1000100002"] = Invoice.objects.get(kind="cancellation")
    for code, numbers in expected.items():
        batch = batches[code]
        assert sorted(batch.invoices.values_list("account_number", flat=True)) == numbers
        assert batch.invoice_count == len(numbers) and batch.run == run and batch.printed_at is None
        with batch.pdf.open("rb") as stored:
            pages = pdf_pages_text(stored.read(), tmp_path)
        assert len(pages) == len(numbers)  # one page each, in account order
        for page, number in zip(pages, numbers, strict=True):
            assert invoices[number].number in page and number in page
            assert page.rstrip().endswith(" 1")  # each invoice counts its own pages
    assert re.fullmatch(r"print-batches/print-KYIV-20261102-[A-Za-z0-9_-]{20,}\.pdf", batches["KYIV"].pdf.name)

    assert print_batches_build(run=run, now=LATER) == []  # everything is in a batch already
    assert PrintBatch.objects.count() == 2


def test_a_big_district_is_split_into_batches_in_account_order(paper_invoices, monkeypatch):
    run, _invoices = paper_invoices
    monkeypatch.setattr(documents, "PRINT_BATCH_MAX_INVOICES", 1)

    batches = print_batches_build(run=run, now=LATER)

    assert [(batch.district.code, *batch.invoices.values_list("account_number", flat=True)) for batch in batches] == [
        ("KYIV", "1000100001"),
        ("KYIV", "1000100002"),  # the cancellation
        ("KYIV", "1000100003"),
        ("DNIPRO", "2000100001"),
    ]


def test_marking_a_batch_printed_records_the_first_staff_and_time(paper_invoices):
    run, _invoices = paper_invoices
    batch = print_batches_build(run=run, now=LATER)[0]
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)

    print_batch_mark_printed(batch=batch, staff=first, now=LATER)
    print_batch_mark_printed(
        batch=PrintBatch.objects.get(pk=batch.pk), staff=second, now=LATER + datetime.timedelta(hours=1)
    )

    batch.refresh_from_db()
    assert (batch.printed_by, batch.printed_at) == (first, LATER)


# --- The chain on a real Celery worker ----------------------------------------------------------------


def start_documents_worker():
    """tests/workers.py's worker, also consuming the `documents` queue that CELERY_TASK_ROUTES sends
    `invoices_render` to (as `make run` and production's documents workers do)."""
    from portal.celery import app
    from tests.workers import BASE_DIR, start_worker

    with app.connection_for_write() as broker:  # tasks left by an interrupted run must not reach this worker
        broker.default_channel.queue_purge("documents")
    return start_worker("documents", log=BASE_DIR / "var" / "test-worker-documents.log", queues="celery,documents")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_the_pdf_of_a_generated_invoice_and_queues_the_email(postgresql_only, prices, kyiv):
    from tests.workers import stop_worker

    user = UserFactory(preferred_language="ru")
    account = two_zone_account(kyiv, "1000100001")
    AccountLinkFactory(account=account, user=user, created_at=LINKED)
    worker = start_documents_worker()
    try:
        # Commits, and on commit queues `invoices_render` for the worker.
        invoice = invoice_generate(account=account, user=user, today=ISSUED, now=NOW)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Invoice.objects.get(pk=invoice.pk).pdf:
            time.sleep(0.3)
    finally:
        stop_worker(worker)
    invoice.refresh_from_db()
    assert invoice.pdf.name.startswith(f"invoices/{invoice.number}-"), "the worker did not render the PDF in 60 s"
    assert invoice.pdf_rendered_at is not None
    email = OutgoingEmail.objects.get(to_email=user.email, kind="invoice_ready")
    assert email.language == "ru" and email.attachment_path == invoice.pdf.name


def test_a_cancelled_invoice_keeps_its_pdf_and_the_cancellation_gets_its_own(invoice, users):
    """Issue 13: the original's PDF stays as it was sent; the cancellation is a document with its own PDF;
    nobody is told "your invoice is ready" for a cancellation."""
    invoice_render(invoice_id=invoice.pk, now=NOW)
    invoice.refresh_from_db()
    first_pdf, emails = invoice.pdf.name, OutgoingEmail.objects.count()
    staff = UserFactory(is_staff=True)
    invoice_void(invoice=invoice, reason="wrong address", staff=staff, today=ISSUED, now=LATER, reissue=False)
    invoice.refresh_from_db()
    assert invoice.pdf.name == first_pdf and invoice.status == "void"
    cancellation = invoice.cancelled_by
    assert invoice_render(invoice_id=cancellation.pk, now=LATER) is True
    cancellation.refresh_from_db()
    text = subprocess.run(["pdftotext", cancellation.pdf.path, "-"], capture_output=True, text=True, check=True)
    assert cancellation.number in text.stdout and invoice.number in text.stdout
    assert OutgoingEmail.objects.count() == emails


def test_no_invoice_email_for_a_user_who_turned_bills_off_and_every_email_can_stop_them(invoice, users):
    users["ru"].notify_invoices = False
    users["ru"].save(update_fields=["notify_invoices"])
    invoice_render(invoice_id=invoice.pk, now=NOW)
    emails = {email.to_email: email for email in OutgoingEmail.objects.filter(kind="invoice_ready")}
    assert set(emails) == {users["uk"].email, users["en"].email}
    english = emails[users["en"].email]
    assert english.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop_url = english.headers["List-Unsubscribe"].strip("<>")
    assert f"Stop these emails: {stop_url}" in english.body_text
