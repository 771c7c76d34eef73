"""The form without registration: the server's date, no consumption data for strangers, and limits that
stop guessing without locking out a NAT or an account's owner."""

import datetime
import re

import pytest
import time_machine

from readings.models import Reading
from tests.html import page_text

pytestmark = pytest.mark.django_db

ON_DEC_2 = time_machine.travel("2026-12-02 10:00 +0200", tick=False)
OWNER = {"account_number": "1000100001", "meter_serial": "02000007"}


def identify(client, **extra):
    client.post("/en/readings/", OWNER, **extra)
    client.post("/en/readings/confirm/", {"answer": "yes"})


def wrong(client, serial="99999999", number="1000100001", ip="203.0.113.1"):
    return client.post("/en/readings/", {"account_number": number, "meter_serial": serial}, REMOTE_ADDR=ip)


@ON_DEC_2
def test_a_tampered_date_is_ignored_the_reading_is_dated_today(client, two_zone_meter):
    identify(client)
    page = client.get("/en/readings/enter/").content.decode()
    assert 'name="reading_date"' not in page  # nothing to tamper with
    response = client.post("/en/readings/enter/", {"reading_date": "2026-11-11", "day": "28100", "night": "14020"})
    assert response.status_code == 302
    stored = Reading.objects.get(channel="web_form")
    assert stored.reading_date == datetime.date(2026, 12, 2)
    assert not Reading.objects.filter(reading_date=datetime.date(2026, 11, 11)).exists()


@ON_DEC_2
def test_the_form_shows_the_masked_address_and_the_zones_but_no_reading(client, two_zone_meter):
    identify(client)
    text = page_text(client.get("/en/readings/enter/"))
    assert re.search(r"вул\. Шев\*{5}, буд\. \d\**", text)
    assert "Day, shown as 1.8.2, 15.8.2 or T22 on the display" in text
    assert "Night, shown as 1.8.1, 15.8.1 or T21 on the display" in text
    for leak in ("27893", "13914", "30 October 2026", "Last reading", "Nothing used since last time"):
        assert leak not in text


@ON_DEC_2
def test_a_lower_number_is_refused_without_the_last_value_on_the_public_form_only(client, two_zone_meter):
    identify(client)
    text = page_text(client.post("/en/readings/enter/", {"day": "27000", "night": "14020"}))
    assert "Day (1.8.2, 15.8.2 or T22): 27000 is lower than the last accepted reading." in text
    assert "27893" not in text and "30 October" not in text
    assert not Reading.objects.filter(channel="web_form").exists()
    # The account's own user in the cabinet still reads the value and its date.
    client.force_login(two_zone_meter.account.links.get().user)
    cabinet = client.post(
        "/en/cabinet/accounts/1000100001/meters/02000007/reading/",
        {"reading_date": "2026-12-02", "day": "27000", "night": "14020"},
    )
    assert "27000 is lower than your last reading, 27893 on 30 October 2026" in page_text(cabinet)


@ON_DEC_2
def test_nothing_used_cannot_echo_the_last_reading_and_the_receipt_shows_no_consumption(client, two_zone_meter):
    identify(client)
    echoed = client.post("/en/readings/enter/", {"same_as_last": "1"})
    assert echoed.status_code == 400 and "27893" not in page_text(echoed)
    assert not Reading.objects.filter(channel="web_form").exists()
    client.post("/en/readings/enter/", {"day": "28100", "night": "14020"})
    receipt = page_text(client.get("/en/readings/receipt/"))
    assert "Reading saved" in receipt and "28100" in receipt
    assert "kWh since the previous reading" not in receipt and "207" not in receipt


def test_one_abuser_behind_a_nat_does_not_lock_out_the_others(client, two_zone_meter, settings):
    settings.PUBLIC_FORM_FAILURES_PER_PAIR = 3
    for serial in ("1", "2", "3", "4"):
        refused = wrong(client, serial=serial, number="5550001111", ip="100.64.0.1")  # the abuser's account
    assert "Too many attempts" in page_text(refused)
    neighbour = client.post("/en/readings/", OWNER, REMOTE_ADDR="100.64.0.1")  # same carrier address
    assert neighbour.status_code == 302


def test_the_owner_who_mistyped_is_never_refused_the_correct_pair(client, two_zone_meter, settings):
    settings.PUBLIC_FORM_FAILURES_PER_PAIR = 3
    settings.PUBLIC_FORM_FREE_FAILURES_PER_ACCOUNT = 100
    for serial in ("1", "2", "3", "4", "5"):
        last = wrong(client, serial=serial, ip="198.51.100.20")
    assert "Too many attempts" in page_text(last)
    assert client.post("/en/readings/", OWNER, REMOTE_ADDR="198.51.100.20").status_code == 302


def test_failures_on_one_account_from_many_addresses_slow_it_with_a_growing_delay(client, two_zone_meter, settings):
    settings.PUBLIC_FORM_FREE_FAILURES_PER_ACCOUNT = 3
    settings.PUBLIC_FORM_MAX_DELAY_SECONDS = 8
    with time_machine.travel("2026-12-02 10:00:00 +0200", tick=False) as clock:
        for index in range(3):  # free failures, each from another address
            assert "We could not find" in page_text(wrong(client, ip=f"192.0.2.{index}"))
        fourth = wrong(client, ip="192.0.2.50")
        assert "We could not find" in page_text(fourth)  # the 4th is answered, and starts the delay
        waits = []
        for index in range(4):
            slowed = wrong(client, ip=f"192.0.2.{100 + index}")
            assert slowed.status_code == 429
            waits.append(re.search(r"wait (\d+) seconds", page_text(slowed)).group(1))
            clock.shift(int(waits[-1]))  # wait as told, then fail again
            assert "We could not find" in page_text(wrong(client, ip=f"192.0.2.{110 + index}"))
        assert waits == ["1", "2", "4", "8"]  # doubling, up to the maximum
        capped = wrong(client, ip="192.0.2.200")
        assert "wait 8 seconds" in page_text(capped)
        # The owner is slowed like everybody, never blocked: after the wait the correct pair gets in.
        early = client.post("/en/readings/", OWNER, REMOTE_ADDR="198.51.100.77")
        assert early.status_code == 429 and "please wait 8 seconds" in page_text(early)
        clock.shift(8)
        assert client.post("/en/readings/", OWNER, REMOTE_ADDR="198.51.100.77").status_code == 302


def test_the_delay_of_one_account_does_not_touch_another(client, two_zone_meter, settings):
    settings.PUBLIC_FORM_FREE_FAILURES_PER_ACCOUNT = 1
    for index in range(3):
        wrong(client, number="5550002222", ip=f"192.0.2.{index}")
    assert client.post("/en/readings/", OWNER, REMOTE_ADDR="192.0.2.1").status_code == 302
