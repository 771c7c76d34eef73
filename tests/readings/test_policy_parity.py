"""One table of submissions, each run through `reading_submit` (the channels' service) and through
`import_readings` (a one-row file) from the same stored state: both must reach the same verdict and store
the same value, because both ask readings/policy.py `decide` (issue 14: the removal-day case used to differ).

The meter: one zone, 6 digits, installed 10 Jan 2025 at 1000; accepted 1100 on 31 Jan (billed in
January). Today is 15 March 2025; the district's window is open (a strict window never refuses an import,
so the window is tested with the service alone in test_submit.py).
"""

from dataclasses import replace
from datetime import date

import pytest
from django.conf import settings
from django.db import transaction
from django.forms.models import model_to_dict

from readings.imports.readings import READING_COLUMNS, readings_import
from readings.models import ClosedMonth, Meter, Reading, ReadingStatus
from readings.services import reading_submit
from tests.factories import MeterFactory, ReadingFactory
from tests.factories.billing import ChargeFactory
from tests.readings.conftest import aware
from tests.readings.test_imports import csv_bytes

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 15)
JAN_31 = date(2025, 1, 31)


def billed(meter):
    reading = Reading.objects.get(meter=meter, reading_date=JAN_31)
    ChargeFactory(
        meter=meter,
        reading=reading,
        basis="actual",
        volume_kwh=100,
        billing_month=date(2025, 1, 1),
        span_start=date(2025, 1, 10),
        span_end=JAN_31,
        estimate_number=None,
    )


def month_closed(meter):
    ClosedMonth.objects.create(month=date(2025, 1, 1))


def rejected_on_march_10(meter):
    ReadingFactory(
        meter=meter,
        reading_date=date(2025, 3, 10),
        billing_month=date(2025, 3, 1),
        total=1200,
        status=ReadingStatus.REJECTED,
        reason="the photo shows 1120",
    )


def removed_on_march_10(meter):
    Meter.objects.filter(pk=meter.pk).update(removed_on=date(2025, 3, 10))


def account_closed(meter):
    type(meter.account).objects.filter(pk=meter.account_id).update(is_active=False)


def nothing(meter):
    pass


def read_in_february(meter):
    ReadingFactory(meter=meter, reading_date=date(2025, 2, 28), billing_month=date(2025, 2, 1), total=1180)


# (case, setup, reading date, channel, value as typed) -> (verdict, the value that counts for that date)
CASES = [
    ("accepted", nothing, date(2025, 3, 14), "cabinet", "1250", "accepted", 1250),
    ("leading zeros and spaces", nothing, date(2025, 3, 14), "cabinet", " 001 250 ", "accepted", 1250),
    ("Arabic-Indic digits", nothing, date(2025, 3, 14), "cabinet", "١٢٥٠", "accepted", 1250),
    ("full-width digits", nothing, date(2025, 3, 14), "api", "１２５０", "accepted", 1250),
    ("decimal from a head-end: whole part", nothing, date(2025, 3, 14), "ami", "1250.7", "accepted", 1250),
    ("decimal comma from SMS: whole part", nothing, date(2025, 3, 14), "sms", "1250,7", "accepted", 1250),
    ("decimal from a customer: refused", nothing, date(2025, 3, 14), "cabinet", "1250.7", "not_a_number", None),
    ("letters", nothing, date(2025, 3, 14), "cabinet", "12a", "not_a_number", None),
    ("empty", nothing, date(2025, 3, 14), "cabinet", "", "zone_missing", None),
    ("too many digits", nothing, date(2025, 3, 14), "cabinet", "1234567", "too_many_digits", None),
    ("lower than L", nothing, date(2025, 3, 14), "cabinet", "1050", "lower_than_previous", None),
    ("future", nothing, date(2025, 3, 16), "cabinet", "1250", "date_in_future", None),
    ("before installation", nothing, date(2025, 1, 5), "cabinet", "1010", "date_before_installation", None),
    ("before L by a customer", nothing, date(2025, 1, 20), "cabinet", "1050", "date_before_previous", None),
    ("before L by staff", nothing, date(2025, 1, 20), "staff", "1050", "accepted", 1050),
    # 21 days of history is too little: above 300 kWh a day goes to review (12 900 kWh in 42 days = 307 a day).
    ("implausible: review", nothing, date(2025, 3, 14), "cabinet", "14000", "pending_review", 14000),
    ("implausible by staff: accepted", nothing, date(2025, 3, 14), "staff", "14000", "accepted", 14000),
    ("plausible: 188 kWh a day", nothing, date(2025, 3, 14), "cabinet", "9000", "accepted", 9000),
    ("identical repeat", nothing, JAN_31, "cabinet", "1100", "duplicate", 1100),
    ("same-day correction", nothing, JAN_31, "cabinet", "1105", "accepted", 1105),
    ("correction of a closed month", month_closed, JAN_31, "cabinet", "1105", "month_closed", 1100),
    ("correction of a billed reading", billed, JAN_31, "cabinet", "1105", "reading_billed", 1100),
    ("billed reading from a head-end", billed, JAN_31, "ami", "1105", "reading_billed", 1100),
    ("billed reading corrected by staff", billed, JAN_31, "staff", "1105", "accepted", 1105),
    ("billed reading repeated", billed, JAN_31, "cabinet", "1100", "duplicate", 1100),
    ("staff rejected these numbers", rejected_on_march_10, date(2025, 3, 10), "cabinet", "1200", "rejected", None),
    ("other numbers that day", rejected_on_march_10, date(2025, 3, 10), "cabinet", "1120", "accepted", 1120),
    ("on the removal day", removed_on_march_10, date(2025, 3, 10), "staff", "1150", "accepted", 1150),
    ("after the removal day", removed_on_march_10, date(2025, 3, 11), "staff", "1150", "meter_inactive", None),
    ("L in February, usual use from January", read_in_february, date(2025, 3, 14), "cabinet", "1300", "accepted", 1300),
    ("before L of February", read_in_february, date(2025, 2, 20), "cabinet", "1150", "date_before_previous", None),
    ("account closed", account_closed, date(2025, 3, 14), "cabinet", "1250", "meter_inactive", None),
]


@pytest.fixture
def meter(db):
    meter = MeterFactory(account__number="1000000001", serial_number="M1", installed_on=date(2025, 1, 10))
    ReadingFactory(meter=meter, reading_date=JAN_31, billing_month=date(2025, 1, 1), total=1100)
    return meter


def counting_value(meter, day):
    reading = Reading.objects.current().filter(meter=meter, reading_date=day).first()
    return reading.total if reading else None


def through_the_service(meter, day, channel, typed):
    outcome = reading_submit(
        meter=meter,
        values={"total": typed},
        reading_date=day,
        channel=channel,
        submitted_by=None,
        now=aware(TODAY),
        today=TODAY,
        swap_confirmed=False,
    )
    if outcome.status == "rejected":
        code = outcome.problems[0].code
        return "rejected" if code == "previously_rejected" else code
    return outcome.status


def through_the_import(meter, day, channel, typed):
    row = {"account_number": "1000000001", "meter_serial": "M1", "reading_date": f"{day:%Y-%m-%d}"}
    row |= {"submitted_on": "", "channel": channel, "total": typed}
    result = readings_import(source=csv_bytes(READING_COLUMNS, [row]), today=TODAY, now=aware(TODAY))
    if result.errors:
        return result.errors[0].code
    for verdict, count in (
        ("accepted", result.accepted),
        ("pending_review", result.pending_review),
        ("duplicate", result.duplicates),
        ("rejected", result.previously_rejected),
    ):
        if count:
            return verdict
    raise AssertionError(f"the import stored nothing and said nothing: {result}")


@pytest.mark.parametrize(
    ("setup", "day", "channel", "typed", "verdict", "value"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_service_and_the_import_reach_the_same_verdict(meter, setup, day, channel, typed, verdict, value):
    setup(meter)
    meter.refresh_from_db()
    seen = {}
    for path, submit in (("service", through_the_service), ("import", through_the_import)):
        with transaction.atomic():  # each path starts from the same stored state
            seen[path] = (submit(meter, day, channel, typed), counting_value(meter, day))
            transaction.set_rollback(True)
    assert seen == {"service": (verdict, value), "import": (verdict, value)}


def test_the_one_statement_facts_equal_the_orm_facts(meter, postgresql_only):
    """On PostgreSQL a submission reads its facts in one statement (readings/submission_sql.py); SQLite, and
    this test, read them through the ORM: both must hand the policy the same record, for every stored state
    and date of the table above, whether the statement finds the meter by id or by the account number and
    serial (the integration API), and the meter it finds is the ORM's, with its account and district."""
    from readings import submission_sql
    from readings.services import submission_facts

    compared = 0
    for setup in {case[1] for case in CASES}:
        for day in {case[2] for case in CASES}:
            with transaction.atomic():
                setup(meter)
                fresh = Meter.objects.select_related("account__district").get(pk=meter.pk)
                orm, _ = submission_facts(fresh, reading_date=day, today=TODAY)
                lookback = settings.READING_AVERAGE_LOOKBACK_DAYS
                by_id = submission_sql.fetch_facts(reading_date=day, lookback_days=lookback, meter_id=meter.pk)
                numbers = (fresh.account.number, fresh.serial_number.lower())  # the serial in any case
                by_numbers = submission_sql.fetch_facts(reading_date=day, lookback_days=lookback, numbers=numbers)
                findable = fresh.removed_on is None and fresh.account.is_active  # as selectors.meter_by_numbers
                assert (by_numbers is not None) == findable, setup.__name__
                for found, facts in (by_id, by_numbers) if findable else (by_id,):
                    assert replace(facts, window=orm.window) == orm, (setup.__name__, day)
                    assert model_to_dict(found) == model_to_dict(fresh)
                    assert model_to_dict(found.account) == model_to_dict(fresh.account)
                    assert found.account.district.window == fresh.account.district.window
                compared += 1
                transaction.set_rollback(True)
    assert compared == 7 * 8  # every stored state, every date
    unknown = (meter.account.number, "nope")
    assert submission_sql.fetch_facts(reading_date=TODAY, lookback_days=400, numbers=unknown) is None
