"""Finding 2 of issue 15: the broker down after a commit never fails work that was done.

Each test starts its own redis-server as the broker, kills it, and then does what customers and staff do:
"Generate invoice", the invoice's PDF, `run_billing` in process. The caller gets the answer of the work
done, a log line says what was not queued, and once the broker is back the sweeper queues it.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from billing.invoices.services import invoices_issue
from billing.models import BillingRun, Invoice, PrintBatch
from billing.tasks import (
    estimate_notices_missing,
    estimate_notices_start,
    invoices_render_missing,
    print_batches_waiting,
)
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone
from tests.billing.test_cabinet_invoices import NOVEMBER, OCTOBER, TODAY, issue, url
from tests.factories import AccountLinkFactory, ChargeFactory, MeterFactory, PersonalAccountFactory
from tests.html import page_text
from tests.servers import broker_on, own_redis, queued_tasks

pytestmark = pytest.mark.django_db

D = date


@pytest.fixture
def link(kyiv):
    return AccountLinkFactory(account__district=kyiv, account__number="1000100001", account__invoice_mode="hybrid")


@pytest.fixture
def customer_client(client, link):
    client.force_login(link.user)
    return client


@pytest.fixture
def account(link):
    return link.account


@pytest.fixture
def meter(account):
    return MeterFactory(account=account, serial_number="02000007")


@pytest.fixture
def dead_broker():
    """The Celery app publishes to a Redis this test owns, which is then killed."""
    with own_redis() as server, broker_on(server.url()):
        server.stop()
        yield server


def broker_errors(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "accounts.enqueue"]


@time_machine.travel(TODAY, tick=False)
def test_generate_invoice_with_the_broker_down_opens_the_invoice_and_the_sweeper_queues_its_pdf(
    customer_client, account, meter, dead_broker, django_capture_on_commit_callbacks, caplog
):
    ChargeFactory(meter=meter, billing_month=OCTOBER, volume_kwh=130)
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post("/en" + url("invoice_generate", account))
    invoice = Invoice.objects.get(account=account)
    assert response["Location"] == "/en" + url("invoice_detail", account, invoice.number)
    assert f"Your invoice {invoice.number} is ready." in page_text(customer_client.get(response["Location"]))
    assert invoice.charges_total == Decimal("561.60")  # October: 130 kWh x 4.32
    (error,) = broker_errors(caplog)
    assert "billing.tasks.invoices_render" in error and "not queued" in error

    dead_broker.start()  # the broker is back; the sweeper runs every 5 minutes
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert invoices_render_missing() == 1
    assert queued_tasks(dead_broker, "documents") == [("billing.tasks.invoices_render", [[invoice.pk]], {})]


@time_machine.travel(TODAY, tick=False)
def test_the_pdf_page_renders_and_answers_with_the_broker_down(
    customer_client, account, meter, dead_broker, django_capture_on_commit_callbacks
):
    ChargeFactory(meter=meter, billing_month=NOVEMBER, volume_kwh=150)
    second = issue(account, month=NOVEMBER, issued_on=D(2026, 12, 3))
    assert not second.pdf
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.get(url("invoice_pdf", account, second.number))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_run_billing_in_process_needs_no_broker(prices, kyiv, dead_broker, django_capture_on_commit_callbacks, capsys):
    account = PersonalAccountFactory(district=kyiv, number="1000200002", residents=3)
    two_zone = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
    )
    read_two_zone(two_zone, D(2026, 4, 30), 27400, 13700)
    read_two_zone(two_zone, D(2026, 10, 30), 27893, 13914)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_billing", "--month", "2026-10", "--pass", "actual", "--date", "2026-11-03")
    assert "actual: 2 charges, 1307 kWh" in capsys.readouterr().out  # 893 day + 414 night
    assert BillingRun.objects.get().status == "done"


def test_the_sweepers_queue_notices_and_print_batches_a_dead_broker_left(kyiv, account, meter):
    """The estimate notices of a final pass and the print batches of paper invoices, once the broker is back."""
    now = timezone.now()
    run = BillingRun.objects.create(
        month=OCTOBER, pass_name="final", run_date=D(2026, 11, 4), chunk_size=10, status="done", finished_at=now
    )
    ChargeFactory(meter=meter, billing_month=OCTOBER)
    account.paper_copy = True  # an issued invoice never changes: the account asks for paper before the issue
    account.save()
    with transaction.atomic():
        invoices_issue(account_ids=[account.pk], kind="auto", billing_month=OCTOBER, issued_on=D(2026, 11, 4), now=now)
    with own_redis() as broker, broker_on(broker.url()):
        assert estimate_notices_missing() == 0 and print_batches_waiting() is False  # too fresh: a worker has it
        with time_machine.travel(now + timedelta(minutes=11), tick=False):
            assert estimate_notices_missing() == 1
            assert print_batches_waiting() is True
            assert queued_tasks(broker) == [("billing.tasks.estimate_notices_start", [run.pk], {})]
            assert queued_tasks(broker, "documents") == [("billing.tasks.print_batches_build", [None], {})]
            estimate_notices_start(run.pk)  # what the worker does with it: fan out, then mark the run
            assert BillingRun.objects.get(pk=run.pk).notices_queued_at is not None
            assert estimate_notices_missing() == 0
            PrintBatch.objects.create(district=kyiv)  # a build is under way: no second chain
            assert print_batches_waiting() is False


def test_a_broker_url_used_again_after_a_switch_publishes_again(caplog):
    """The suite's switch of broker (`broker_on`) leaves no closed pool behind: a publish to a URL used before,
    as the suite's own broker is after every fault test, reaches that broker instead of being logged as an
    outage for the rest of the process (CI's browser journey once lost its PDF task that way)."""
    from accounts.enqueue import enqueue

    with own_redis() as broker:
        with broker_on(broker.url()):
            assert enqueue(estimate_notices_start, 1)
        with broker_on(broker.url()):
            assert enqueue(estimate_notices_start, 2)
        assert [args for _, args, _ in queued_tasks(broker)] == [[1], [2]]
    assert not broker_errors(caplog)
