"""The keys of charges, billing states, invoices and invoice items on PostgreSQL (migration 0014): checked once
per statement, without locking what they point at. A missing row is still refused as the foreign key refused
it; readings, charges and invoices are never deleted, which the database itself now refuses; an account, meter
or district is deleted only while nothing uses it, and a delete and a new row that race are put in order by the
key guard (one waits for the other, then is refused). The month billed through these checks is the same
money."""

import datetime
import threading
import time
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from psycopg.errors import ForeignKeyViolation

from accounts.models import District, PersonalAccount
from billing.models import Charge, Invoice, InvoiceItem, MeterBillingState
from billing.run.services import run_in_process, run_start
from readings.models import Meter, Reading
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone as read
from tests.factories import MeterFactory, PersonalAccountFactory

D = datetime.date
OCTOBER = D(2026, 10, 1)


@pytest.fixture
def billed(postgresql_only, prices, kyiv):
    """Two supplier-invoiced accounts billed for October on the 3rd (day 893 kWh x 4.32 = 3857.76; night 414 x
    2.16 = 894.24; 4752.00 each)."""
    accounts = []
    for number in ("1000000001", "1000000002"):
        account = PersonalAccountFactory(district=kyiv, number=number, residents=3, invoice_mode="supplier")
        meter = MeterFactory(
            account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
        )
        read(meter, D(2026, 4, 30), 27400, 13700)
        read(meter, D(2026, 10, 30), 27893, 13914)
        accounts.append(account)
    run_in_process(run=run_start(month=OCTOBER, pass_name="actual", run_date=D(2026, 11, 3), now=timezone.now()))
    return accounts


def missing_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def refused(sql: str, params: list) -> str:
    """Run one statement in its own savepoint; the foreign key's error text, or fail if it went in."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


def copied(table: str, model, changed: dict[str, str]) -> str:
    """INSERT ... SELECT of one row of `table` (its id the last parameter) with `changed` columns' expressions."""
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    chosen = ", ".join(changed.get(column, column) for column in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen} FROM {table} WHERE id = %s"


@pytest.mark.django_db
def test_the_month_billed_through_the_statement_checks_is_the_same_money(billed):
    for account in billed:
        (invoice,) = Invoice.objects.filter(account=account)
        assert invoice.amount_due == Decimal("4752.00")
        assert sorted(Charge.objects.filter(account=account).values_list("amount", flat=True)) == [
            Decimal("894.24"),
            Decimal("3857.76"),
        ]
        assert InvoiceItem.objects.filter(invoice=invoice, active=True).count() == 2


@pytest.mark.django_db
def test_an_item_of_a_missing_invoice_or_charge_is_refused_and_nothing_is_written(billed):
    charge = Charge.objects.filter(account=billed[0]).first()
    invoice = Invoice.objects.get(account=billed[0])
    items = InvoiceItem.objects.count()
    message = refused(
        "INSERT INTO billing_invoiceitem (invoice_id, charge_id, active) VALUES (%s, %s, false)",
        [missing_id(Invoice), charge.pk],
    )
    assert "Key (invoice_id)=" in message and 'is not present in table "billing_invoice"' in message
    # COPY, the run's own way of writing items (psycopg's own cursor, so its own error class), is checked the
    # same way; one bad key among good ones fails them all.
    gone = missing_id(Charge)
    with pytest.raises(ForeignKeyViolation) as caught, transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY billing_invoiceitem (invoice_id, charge_id, active) FROM STDIN") as copy:
            copy.write_row((invoice.pk, charge.pk, False))
            copy.write_row((invoice.pk, gone, False))
    assert f'Key (charge_id)=({gone}) is not present in table "billing_charge"' in str(caught.value)
    assert InvoiceItem.objects.count() == items


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "model", "table"),
    [
        ("account_id", PersonalAccount, "accounts_personalaccount"),
        ("meter_id", Meter, "readings_meter"),
        ("reading_id", Reading, "readings_reading"),
    ],
)
def test_a_charge_of_a_missing_account_meter_or_reading_is_refused(billed, column, model, table):
    charge = Charge.objects.filter(account=billed[0]).first()
    gone = missing_id(model)
    # A day earlier, so the copy is not the same charge of the same reading (a unique constraint).
    message = refused(
        copied("billing_charge", Charge, {"span_start": "span_start - 1", column: str(gone)}), [charge.pk]
    )
    assert f'Key ({column})=({gone}) is not present in table "{table}"' in message
    assert Charge.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(("column", "model"), [("district_id", District), ("account_id", PersonalAccount)])
def test_an_invoice_of_a_missing_district_or_account_is_refused(billed, column, model):
    """A copy of an issued invoice as a `self` invoice with a number of its own, but a key that is missing."""
    invoice = Invoice.objects.get(account=billed[0])
    gone = missing_id(model)
    changed = {"number": "number || '-copy'", "sequence": "sequence + 1000", "kind": "'self'", column: str(gone)}
    message = refused(copied("billing_invoice", Invoice, changed), [invoice.pk])
    assert f"Key ({column})=({gone}) is not present" in message
    assert Invoice.objects.count() == 2


@pytest.mark.django_db
def test_a_billing_state_of_a_missing_meter_or_reading_is_refused(billed):
    charge = Charge.objects.filter(account=billed[0]).first()
    gone = missing_id(Reading)
    state = MeterBillingState.objects.get(meter_id=charge.meter_id)
    message = refused("UPDATE billing_meterbillingstate SET last_reading_id = %s WHERE meter_id = %s", [gone, state.pk])
    assert f"Key (last_reading_id)=({gone}) is not present" in message
    state.refresh_from_db()
    assert state.last_reading_id == charge.reading_id
    gone = missing_id(Meter)
    message = refused(
        "INSERT INTO billing_meterbillingstate (meter_id, last_date, estimated_months, closed) "
        "VALUES (%s, '2026-10-31', 0, false)",
        [gone],
    )
    assert f'Key (meter_id)=({gone}) is not present in table "readings_meter"' in message


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["readings_reading", "billing_charge", "billing_invoice"])
def test_the_database_refuses_to_delete_a_record_whatever_path_the_delete_takes(billed, table):
    """The models refuse a delete (AppendOnlyError); raw SQL is refused by the database, even of a row nothing
    points at, because the statement checks rely on it."""
    model = {"readings_reading": Reading, "billing_charge": Charge, "billing_invoice": Invoice}[table]
    unreferenced = read(Reading.objects.first().meter, D(2026, 11, 20), 27990, 13960)
    row = unreferenced.pk if table == "readings_reading" else model.objects.order_by("pk").first().pk
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row])
    assert "never deleted" in str(caught.value)
    assert model.objects.filter(pk=row).exists()


@pytest.mark.django_db
def test_a_used_meter_or_account_is_not_deleted_and_an_unused_one_is(billed):
    used = Charge.objects.filter(account=billed[0]).first()
    # Its readings have a foreign key of their own: a meter used only by the checked tables shows the new check.
    meter = MeterFactory(account=billed[1], serial_number="09000001")
    MeterBillingState.objects.create(meter=meter, last_date=D(2026, 10, 31))
    message = refused("DELETE FROM readings_meter WHERE id = %s", [meter.pk])
    assert f'Key (id)=({meter.pk}) is still referenced from table "billing_meterbillingstate"' in message
    message = refused("DELETE FROM readings_meter WHERE id = %s", [used.meter_id])
    assert "still referenced" in message or "violates foreign key" in message
    spare = MeterFactory(account=billed[1], serial_number="09000002")
    stranger = PersonalAccountFactory(number="1000000099")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM readings_meter WHERE id = %s", [spare.pk])
        cursor.execute("DELETE FROM accounts_personalaccount WHERE id = %s", [stranger.pk])
    assert not Meter.objects.filter(pk=spare.pk).exists()
    assert not PersonalAccount.objects.filter(pk=stranger.pk).exists()


# The races: a delete of a meter and a new billing state of it, from two connections, in both orders. The first
# holds its transaction open; the second must wait for it (on the key guard), then be refused.
def raw_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"])


STATE = (
    "INSERT INTO billing_meterbillingstate (meter_id, last_date, estimated_months, closed) VALUES (%s, %s, 0, false)"
)


def second(sql: str, params: list, outcome: dict) -> threading.Thread:
    def run() -> None:
        with raw_connection() as other:
            try:
                other.execute(sql, params)
                other.commit()
                outcome["done"] = True
            except psycopg.Error as error:
                outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def waiting_on_the_key_guard() -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with raw_connection() as watcher:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'"
            ).fetchone()
        if row[0]:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["new state", "delete"])
def test_a_delete_and_a_new_row_that_race_wait_for_each_other_and_the_second_is_refused(postgresql_only, kyiv, first):
    meter = MeterFactory(account=PersonalAccountFactory(district=kyiv, number="1000000003"), serial_number="09000003")
    new_state, delete = (STATE, [meter.pk, D(2026, 10, 31)]), ("DELETE FROM readings_meter WHERE id = %s", [meter.pk])
    held, racing = (new_state, delete) if first == "new state" else (delete, new_state)
    outcome: dict = {}
    with raw_connection() as holder:
        holder.execute(*held)
        thread = second(*racing, outcome)
        assert waiting_on_the_key_guard(), "the second statement did not wait for the first transaction"
        assert not outcome
        holder.commit()
        thread.join(10)
    assert isinstance(outcome.get("error"), ForeignKeyViolation), outcome
    if first == "new state":
        assert "still referenced" in str(outcome["error"])
        assert MeterBillingState.objects.filter(meter_id=meter.pk).exists()
    else:
        assert 'is not present in table "readings_meter"' in str(outcome["error"])
        assert not MeterBillingState.objects.filter(meter_id=meter.pk).exists()
        assert not Meter.objects.filter(pk=meter.pk).exists()
