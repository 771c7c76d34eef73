"""SMS: the two formats of the seeds parsed as a table and by hypothesis (no input crashes the parser), and
the signed webhook end to end: a reading stored with channel sms, the reply in the sender's language."""

import hashlib
import hmac
import json

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from readings.channels.sms_format import ContractReading, FullReading, ParseError, parse_sms
from readings.models import Reading, SmsContract
from tests.factories import MeterFactory, PersonalAccountFactory

SECRET = "local-sms-secret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 # 001952", ContractReading((1952,))),
        ("1#001952", ContractReading((1952,))),
        ("  1 #  001952 ", ContractReading((1952,))),
        ("1 # 012345 # 004567", ContractReading((12345, 4567))),
        ("1 001952", ContractReading((1952,))),
        ("1000100001 02000007 28100 14010", FullReading("1000100001", "02000007", (28100, 14010))),
        ("1000100001 0100234 001952", FullReading("1000100001", "0100234", (1952,))),
        ("1000100001 AB-12 5*6*7", FullReading("1000100001", "AB-12", (5, 6, 7))),
        ("", ParseError("empty")),
        ("   ", ParseError("empty")),
        ("hello", ParseError("unknown_format")),
        ("1 # 12a45", ParseError("not_digits", "12a45")),
        ("1 # 1 # 2 # 3 # 4", ParseError("too_many_values", "4")),
        ("1 # 1234567890", ParseError("value_too_long", "1234567890")),
        ("1000100001 02000007", ParseError("unknown_format")),
        ("1000100001 02000007 28100,5", ParseError("not_digits", "28100,5")),  # a decimal comma, not two zones
        ("1000100001 02000007 12.5", ParseError("not_digits", "12.5")),
        ("x" * 400, ParseError("too_long")),
    ],
)
def test_parse_table(text, expected):
    assert parse_sms(text) == expected


@given(st.text(max_size=400))
def test_no_text_makes_the_parser_crash(text):
    result = parse_sms(text)
    assert isinstance(result, ContractReading | FullReading | ParseError)
    if not isinstance(result, ParseError):
        assert 1 <= len(result.values) <= 3 and all(value >= 0 for value in result.values)


@given(
    st.lists(st.integers(min_value=0, max_value=999_999_999), min_size=1, max_size=3),
    st.sampled_from([" ", "#", " # "]),
)
def test_any_contract_reading_round_trips(values, separator):
    text = "1 #" + separator + separator.join(f"{value:06d}" for value in values)
    assert parse_sms(text) == ContractReading(tuple(values))


def send(client, body: dict, secret=SECRET):
    raw = json.dumps(body).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/channels/sms/inbound/", raw, content_type="application/json", HTTP_X_SIGNATURE=signature)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def one_zone(kyiv):
    account = PersonalAccountFactory(district=kyiv, number="1000200002")
    return MeterFactory(account=account, serial_number="0100234", install_total=1000)


@pytest.mark.django_db
def test_a_registered_phone_passes_a_one_zone_reading_in_the_short_form(client, one_zone):
    SmsContract.objects.create(phone="+380501234567", account=one_zone.account, language="ru")
    response = send(client, {"from": "+380501234567", "text": "1 # 001952", "id": "gw-1"})
    assert response.status_code == 200
    body = response.json()
    assert (body["to"], body["status"]) == ("+380501234567", "accepted")
    reading = Reading.objects.get(meter=one_zone, reading_date="2026-11-20")
    assert (reading.total, reading.channel) == (1952, "sms")
    assert "1952" in body["reply"] and "952" in body["reply"]  # the value and the consumption (952 kWh)
    assert (
        body["reply"] != send(client, {"from": "+380501234567", "text": "1 # 001952", "language": "en"}).json()["reply"]
    )


@pytest.mark.django_db
def test_the_full_form_passes_a_two_zone_reading_from_any_phone(client, two_zone_meter):
    response = send(client, {"from": "+380670000000", "text": "1000100001 02000007 28100 14010", "language": "en"})
    body = response.json()
    assert body["status"] == "accepted", body
    assert body["reply"].startswith("Reading accepted: day 28100, night 14010.")
    assert "207 kWh day, 96 kWh night" in body["reply"]
    assert Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20").channel == "sms"
    client.force_login(two_zone_meter.account.links.get().user)
    history = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in history and "SMS" in history  # in the customer's history, with its channel


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("1000100001 02000007 28100", "wrong_value_count", "has 2 zones"),
        ("1000100001 99999999 28100 14010", "account_not_found", "No account with this number"),
        ("1 # 001952", "phone_not_registered", "not registered"),
        ("привіт", "unknown_format", "Formats: 1 # 001952"),
        ("1000100001 02000007 27000 14010", "lower_than_previous", "lower than your last reading"),
    ],
)
def test_the_reply_says_exactly_what_is_wrong(client, two_zone_meter, text, code, words):
    body = send(client, {"from": "+380670000000", "text": text, "language": "en"}).json()
    assert body["code"] == code and words in body["reply"], body
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()


@pytest.mark.django_db
def test_a_wrong_signature_or_body_changes_nothing(client, two_zone_meter):
    forged = send(client, {"from": "+380670000000", "text": "1000100001 02000007 28100 14010"}, secret="guess")
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "bad_signature"
    raw = b"not json"
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    malformed = client.post("/channels/sms/inbound/", raw, content_type="application/json", HTTP_X_SIGNATURE=signature)
    assert malformed.status_code == 400
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()
