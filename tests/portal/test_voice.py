"""The voice menu of seed 002 as an IVR platform drives it: the code at the top of the bill in any grouping,
the street and house (never the flat) and the meter's last digits read back, press 1, each zone dictated
digit by digit, the reading spoken back; a closed strict window spoken with the next window's dates;
lookups limited per caller and per code. The code is the one printed on the invoice."""

import uuid
from datetime import date

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.selectors import account_by_voice_code, account_voice_code
from accounts.voice_codes import account_id_of, grouped, voice_code
from portal.models import ApiClient
from readings.masking import spoken_street_and_house
from readings.models import Reading
from tests.factories import MeterFactory, PersonalAccountFactory

LOOKUP, READINGS = "/api/v1/integrations/voice/lookup/", "/api/v1/integrations/voice/readings/"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


def ivr(language="uk"):
    client = ApiClient(name=f"ivr-{uuid.uuid4().hex[:6]}", channel="ivr", scopes=["accounts:verify", "readings:write"])
    key = client.new_key()
    client.save()
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_every_account_id_has_its_own_code_and_a_misheard_digit_is_caught():
    key = b"test-key"
    codes = {voice_code(account_id, key) for account_id in range(1, 5001)}
    assert len(codes) == 5000 and all(len(code) == 9 for code in codes)
    code = voice_code(1234, key)
    assert account_id_of(grouped(code), key) == 1234 and account_id_of(f"{code[:2]}-{code[2:]}", key) == 1234
    for position in range(9):
        misheard = code[:position] + str((int(code[position]) + 1) % 10) + code[position + 1 :]
        assert account_id_of(misheard, key) is None  # the Luhn digit catches any one wrong digit
    assert account_id_of(code, b"other-key") != 1234  # the code depends on the key


@pytest.mark.parametrize(
    ("address", "spoken"),
    [
        ("м. Київ, вул. Шевченка, буд. 12, кв. 5", "вулиця Шевченка, будинок 12"),
        ("м. Дніпро, просп. Дмитра Яворницького, буд. 3", "проспект Дмитра Яворницького, будинок 3"),
        ("г. Хабаровск, ул. Ленина, д. 5, кв. 7", "улица Ленина, дом 5"),
    ],
)
def test_the_street_and_house_are_spoken_without_the_flat(address, spoken):
    assert spoken_street_and_house(address) == spoken


@pytest.mark.django_db
def test_a_call_passes_a_two_zone_reading_dictated_digit_by_digit(two_zone_meter):
    api = ivr()
    code = account_voice_code(two_zone_meter.account.pk)
    dictated = f"{code[:3]} {code[3:5]} {code[5:]}"  # the caller pauses where they like
    lookup = api.post(LOOKUP, {"code": dictated, "caller": "+380501234567"}, format="json")
    assert lookup.status_code == 200, lookup.json()
    body = lookup.json()
    street = spoken_street_and_house(two_zone_meter.account.address)
    assert "кв." not in street and body["street_and_house"] == street
    assert body["speech"] == f"{street}. Номер лічильника закінчується на 0 0 0 7. Якщо все вірно, натисніть 1."
    assert body["meters"] == [
        {
            "choice": 1,
            "serial_ending": "0007",
            "zones": [{"zone": "day", "title": "День"}, {"zone": "night", "title": "Ніч"}],
        }
    ]
    answer = api.post(
        READINGS,
        {"code": dictated, "caller": "+380501234567", "meter": 1, "values": {"day": "2 8 1 0 0", "night": "1 4 0 1 0"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["speech"] == "Показ отримано: день 2 8 1 0 0, ніч 1 4 0 1 0. Дякуємо!"
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "ivr")


@pytest.mark.django_db
def test_a_closed_strict_window_is_spoken_with_the_next_dates(dek):
    meter = MeterFactory(account=PersonalAccountFactory(district=dek), serial_number="0100234", install_total=1000)
    api = ivr()
    with time_machine.travel("2026-11-10 10:00 +02:00", tick=False):
        body = api.post(LOOKUP, {"code": account_voice_code(meter.account.pk)}, format="json").json()
    assert body["accepting"] is False
    assert body["speech"].endswith("Покази зараз не приймаються. Передайте їх з 20 листопада по 25 листопада.")
    assert "натисніть 1" not in body["speech"]


@pytest.mark.django_db
def test_a_wrong_code_is_refused_and_callers_and_codes_are_limited(two_zone_meter):
    api = ivr()
    wrong = api.post(LOOKUP, {"code": "123 456 789", "caller": "+380501111111"}, format="json")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "code_not_found"
    for _attempt in range(9):
        api.post(LOOKUP, {"code": "123456789", "caller": "+380501111111"}, format="json")
    right = account_voice_code(two_zone_meter.account.pk)
    blocked = api.post(LOOKUP, {"code": right, "caller": "+380501111111"}, format="json")
    assert blocked.status_code == 429  # this caller guessed too often, even a right code waits
    for _attempt in range(20):
        api.post(LOOKUP, {"code": right, "caller": f"+38050{uuid.uuid4().int % 10**7:07d}"}, format="json")
    assert api.post(LOOKUP, {"code": right, "caller": "+380502222222"}, format="json").status_code == 429


@pytest.mark.django_db
def test_the_invoice_prints_the_accounts_voice_code(two_zone_meter):
    from billing.documents.render import invoice_view
    from billing.models import Invoice

    code = account_voice_code(two_zone_meter.account.pk)
    assert account_by_voice_code(code) == two_zone_meter.account
    invoice = Invoice(account=two_zone_meter.account, content={"schema": 1})
    assert invoice_view(invoice).voice_code == grouped(code)
    assert date(2026, 11, 20)  # the clock is pinned for the lookups above


@pytest.mark.django_db
def test_verify_speaks_a_closed_strict_window_instead_of_asking_for_the_reading(dek):
    MeterFactory(account=PersonalAccountFactory(district=dek, number="1000400004"), serial_number="0400400")
    with time_machine.travel("2026-11-10 10:00 +02:00", tick=False):
        body = (
            ivr("ru")
            .post(
                "/api/v1/integrations/verify/",
                {"account_number": "1000400004", "meter_serial": "0400400"},
                format="json",
            )
            .json()
        )
    assert body["speech"] == "Показания сейчас не принимаются. Передайте их с 20 ноября по 25 ноября."
