"""The cabinet explains every charge line in words."""

import datetime

import pytest
from django.utils import timezone

from billing.run.services import run_in_process, run_start
from tests.billing.test_run import D, read
from tests.factories import AccountLinkFactory, MeterFactory
from tests.html import page_text

pytestmark = pytest.mark.django_db


def bill(month, pass_name, run_date):
    run_in_process(run=run_start(month=month, pass_name=pass_name, run_date=run_date, now=timezone.now()))


def test_charges_page_explains_actual_average_and_recalculation(client, prices, kyiv):
    link = AccountLinkFactory(account__district=kyiv, account__number="1000100001", account__residents=3)
    meter = MeterFactory(
        account=link.account,
        serial_number="02000007",
        zone_set="day+night",
        installed_on=D(2026, 1, 15),
        install_day=27000,
        install_night=13500,
    )
    read(meter, D(2026, 4, 30), 27400, 13700)
    read(meter, D(2026, 10, 30), 27893, 13914)
    bill(D(2026, 10, 1), "actual", D(2026, 11, 3))
    bill(D(2026, 11, 1), "final", D(2026, 12, 4))
    read(meter, D(2027, 1, 2), 28100, 14020)
    bill(D(2026, 12, 1), "actual", D(2027, 1, 3))
    client.force_login(link.user)
    text = page_text(client.get("/en/cabinet/accounts/1000100001/charges/"))
    assert "893 kWh day, 414 kWh night, by your reading of 30 October 2026" in text
    assert "81 kWh day, 35 kWh night: no reading, estimated by your average use, month 1 of 3." in text
    assert "From February 2027 the norm applies unless you pass a reading." in text
    assert (
        "-81 kWh day, -35 kWh night: recalculation of the estimates after your reading of 2 January 2027 "
        "(November 2026)." in text
    )
    assert "October 2026 · 4,752.00 UAH" in text  # 3857.76 + 894.24
    # Each line says what a kWh cost; November's estimate spans the price change of 15 November.
    assert "Price: day 4.32 UAH per kWh, night 2.16 UAH per kWh" in text
    assert "Price: day 4.32 UAH / 4.80 UAH per kWh, night 2.16 UAH / 2.40 UAH per kWh" in text
    uk = page_text(client.get("/cabinet/accounts/1000100001/charges/"))
    assert "Ціна: день — 4,32 грн за кВт·год, ніч — 2,16 грн за кВт·год" in uk
    assert datetime.date(2026, 12, 1).strftime("%B") in text
