"""The meter history page after years of readings: the last 24 months (with "show all"), the same number
of queries at 1 and 10 years, and the oldest shown reading still measured from the one before it."""

import datetime

import pytest
import time_machine

from accounts.windows import add_months
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory
from tests.html import page_text

pytestmark = pytest.mark.django_db

TODAY = "2026-11-20 12:00 +0200"
PAGE = "/en/cabinet/accounts/1000100001/meters/01000001/history/"


@pytest.fixture
def meter(kyiv):
    link = AccountLinkFactory(account__district=kyiv, account__number="1000100001")
    return MeterFactory(
        account=link.account, serial_number="01000001", installed_on=datetime.date(2016, 10, 1), install_total=1000
    )


def read_months(meter, first: datetime.date, count: int) -> None:
    """One accepted reading at the end of each month, 100 kWh more than the month before (from 1000)."""
    existing = meter.readings.count()
    for index in range(existing, existing + count):
        month = add_months(first, index)
        ReadingFactory(
            meter=meter,
            reading_date=add_months(month, 1) - datetime.timedelta(days=1),
            billing_month=month,
            total=1000 + 100 * (index + 1),
        )


def queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@time_machine.travel(TODAY, tick=False)
def test_ten_years_of_readings_take_the_queries_of_one_and_show_the_last_24_months(client, meter):
    client.force_login(meter.account.links.get().user)
    first_month = datetime.date(2016, 11, 1)  # readings for November 2016 ... October 2026 (10 years)
    read_months(meter, first_month, 108)  # nine years before the last one
    # The last year alone on a new meter would be 12 readings: same count with 108 older ones.
    with_nine_years = queries(client, PAGE)
    read_months(meter, first_month, 12)
    assert meter.readings.count() == 120
    with_ten_years = queries(client, PAGE)
    assert with_ten_years == with_nine_years <= 9

    text = page_text(client.get(PAGE))
    # 24 months: December 2024 ... November 2026; the October 2026 reading reads 13000 and measured 100 kWh.
    assert "Readings of the last 24 months. Show all readings" in text
    assert "31 October 2026" in text and "30 November 2024" not in text and "31 December 2024" in text
    # The oldest shown reading (31 Dec 2024: 1000 + 100 x 98 = 10800) is measured from the one before it.
    assert "31 December 2024 personal cabinet accepted 10800 100" in text

    everything = page_text(client.get(PAGE + "?all=1"))
    assert "30 November 2016" in everything and "Show the last 24 months" in everything
    assert "30 November 2016 personal cabinet accepted 1100 100" in everything
    # No "reading before the window" and no "anything older?" question: two queries fewer.
    assert queries(client, PAGE + "?all=1") == with_ten_years - 2


@time_machine.travel(TODAY, tick=False)
def test_the_history_page_queries_are_the_same_at_one_and_ten_years(client, meter, django_assert_num_queries):
    client.force_login(meter.account.links.get().user)
    read_months(meter, datetime.date(2025, 11, 1), 12)
    one_year = queries(client, PAGE)
    # Another meter of the same account with ten years of readings (readings are never deleted).
    old = MeterFactory(account=meter.account, serial_number="01000002", installed_on=datetime.date(2016, 10, 1))
    read_months(old, datetime.date(2016, 11, 1), 120)
    with django_assert_num_queries(one_year):
        response = client.get(PAGE.replace("01000001", "01000002"))
    assert "Show all readings" in page_text(response)


@time_machine.travel(TODAY, tick=False)
def test_a_young_meter_offers_no_show_all(client, meter):
    client.force_login(meter.account.links.get().user)
    read_months(meter, datetime.date(2025, 11, 1), 12)
    text = page_text(client.get(PAGE))
    assert "Show all readings" not in text and "30 November 2025 personal cabinet accepted 1100 100" in text


@time_machine.travel(TODAY, tick=False)
def test_the_csv_keeps_the_whole_history(client, meter, django_assert_max_num_queries):
    client.force_login(meter.account.links.get().user)
    read_months(meter, datetime.date(2016, 11, 1), 120)
    with django_assert_max_num_queries(8):
        body = client.get(PAGE.replace("history/", "history.csv")).content.decode("utf-8-sig")
    lines = body.splitlines()
    assert len(lines) == 121  # the header and 120 readings
    assert lines[-1].startswith("2016-11-30,") and lines[-1].endswith(",total,1100,100")
