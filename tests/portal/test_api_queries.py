"""The customer API's account summary reads through the cabinet's selectors: the same number of queries
for 1, 5 and 20 accounts (it was 4, 16 and 61: a balance, meters and last readings per account)."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import AccountLinkFactory, MeterFactory
from tests.factories.billing import ChargeFactory
from tests.factories.readings import ReadingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC), tick=False):
        yield


def _add_account(customer, kyiv, index):
    link = AccountLinkFactory(user=customer, account__district=kyiv, account__number=f"10001{index:05d}")
    one_zone = MeterFactory(account=link.account, serial_number=f"01{index:06d}")
    MeterFactory(account=link.account, serial_number=f"02{index:06d}", zone_set="day+night")
    ReadingFactory(meter=one_zone, total=1130, reading_date=datetime.date(2026, 10, 31))
    ChargeFactory(meter=one_zone)  # 130 kWh x 4.32000 = 561.60 UAH owed
    return link.account


def _queries(api, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


def _grow_to(customer, kyiv, size):
    while customer.account_links.count() < size:
        _add_account(customer, kyiv, customer.account_links.count())


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/accounts/1000100000/"])
def test_the_account_summary_takes_the_same_queries_for_1_5_and_20_accounts(
    customer, kyiv, path, django_assert_num_queries
):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(customer)
    _grow_to(customer, kyiv, 1)
    with_one = _queries(api, path)
    assert with_one <= 5  # links (or the account) with districts, meters, last-reading ids, readings, balances
    for size in (5, 20):
        _grow_to(customer, kyiv, size)
        with django_assert_num_queries(with_one):
            response = api.get(path)
        assert response.status_code == 200
    if path == "/api/v1/accounts/":
        assert len(response.json()) == 20


def test_the_summary_says_each_accounts_balance_meters_and_last_reading(customer, kyiv):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(customer)
    _grow_to(customer, kyiv, 3)
    summary = api.get("/api/v1/accounts/").json()
    assert [account["number"] for account in summary] == ["1000100000", "1000100001", "1000100002"]
    for index, account in enumerate(summary):
        assert account["balance"] == "561.60"  # 130 kWh x 4.32000 UAH, nothing paid
        assert [meter["serial"] for meter in account["meters"]] == [f"01{index:06d}", f"02{index:06d}"]
        assert account["meters"][0]["last_reading"] == {"reading_date": "2026-10-31", "values": {"total": 1130}}
        assert account["meters"][1]["last_reading"] is None
        assert account["window"]["is_open"] in (True, False) and account["district"] == kyiv.name
    assert api.get("/api/v1/accounts/1000100001/").json() == summary[1]
