"""SMS: the two formats of the seeds as people type them, parsed as a table and by hypothesis (no input
crashes the parser); phones in every spelling; the signed webhook end to end: a reading stored with channel
sms, a short reply in the sender's language, the swap question answered by "1"."""

import hashlib
import hmac
import importlib
import json
import re
from pathlib import Path

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from accounts.phones import phone_candidates, phone_e164
from readings.channels.sms_format import ContractReading, FullReading, ParseError, SwapAnswer, parse_sms
from readings.channels.sms_segments import sms_segments
from readings.models import Reading, SmsContract, SmsSwapQuestion
from tests.factories import DistrictFactory, MeterFactory, PersonalAccountFactory
from tests.readings.sms_reply_samples import reply_samples

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
        # As typed (seeds 002, 003): "№" before the numbers, commas or "#" between them.
        ("№1000100003 №02000021 56708", FullReading("1000100003", "02000021", (56708,))),
        ("№ 1000100003, № 02000021, 56708", FullReading("1000100003", "02000021", (56708,))),
        ("1000100001, 02000007, 28100, 14010", FullReading("1000100001", "02000007", (28100, 14010))),
        ("1000100001,02000007,28100,14010", FullReading("1000100001", "02000007", (28100, 14010))),
        ("1000100001#02000007#28100#14010", FullReading("1000100001", "02000007", (28100, 14010))),
        ("1000100001; 02000007; 28100; 14010", FullReading("1000100001", "02000007", (28100, 14010))),
        # "All digits before the comma": the fraction dropped, and remembered for the reply.
        ("1 # 12345,6", ContractReading((12345,), ("12345,6",))),
        ("1#12345.67", ContractReading((12345,), ("12345.67",))),
        (
            "1000100001 02000007 28100,5 14010.125",
            FullReading("1000100001", "02000007", (28100, 14010), ("28100,5", "14010.125")),
        ),
        ("1000100001 0100234 12345,6", FullReading("1000100001", "0100234", (12345,), ("12345,6",))),
        # The answer to the swap question.
        ("1", SwapAnswer(True)),
        (" 2 ", SwapAnswer(False)),
        ("1#", ParseError("unknown_format")),
        ("", ParseError("empty")),
        ("   ", ParseError("empty")),
        ("hello", ParseError("unknown_format")),
        ("1 # 12a45", ParseError("not_digits", "12a45")),
        ("1 # 1 # 2 # 3 # 4", ParseError("too_many_values", "4")),
        ("1 # 1234567890", ParseError("value_too_long", "1234567890")),
        ("1000100001 02000007", ParseError("unknown_format")),
        ("1000100001 02000007 12.5.6", ParseError("not_digits", ".6")),
        ("1 # 12,3456", ContractReading((12, 3456))),  # four digits after a comma: two numbers, not a fraction
        ("x" * 400, ParseError("too_long")),
    ],
)
def test_parse_table(text, expected):
    assert parse_sms(text) == expected


@given(st.text(max_size=400))
def test_no_text_makes_the_parser_crash(text):
    result = parse_sms(text)
    assert isinstance(result, ContractReading | FullReading | SwapAnswer | ParseError)
    if isinstance(result, ContractReading | FullReading):
        assert 1 <= len(result.values) <= 3 and all(value >= 0 for value in result.values)
        assert all(word in text for word in result.decimals)


@given(st.text(alphabet="0123456789 #*№,.;+-\n", max_size=60))
def test_no_digits_and_separators_make_the_parser_crash(text):
    assert isinstance(parse_sms(text), ContractReading | FullReading | SwapAnswer | ParseError)


@given(st.text(max_size=40), st.sampled_from(["UA", "RU", "PL", "XX", ""]))
def test_no_phone_spelling_makes_the_normaliser_crash(raw, region):
    number = phone_e164(raw, region)
    assert number is None or re.fullmatch(r"\+[1-9][0-9]{7,14}", number)
    assert all(re.fullmatch(r"\+[1-9][0-9]{7,14}", candidate) for candidate in phone_candidates(raw, [region]))


@pytest.mark.parametrize(
    ("raw", "regions", "expected"),
    [
        ("+79244114455", ["UA"], ["+79244114455"]),
        ("79244114455", ["UA", "RU"], ["+79244114455"]),
        ("89244114455", ["RU"], ["+79244114455"]),
        ("+380501234567", ["UA"], ["+380501234567"]),
        ("380501234567", ["UA"], ["+380501234567"]),
        ("0501234567", ["UA"], ["+380501234567"]),
        ("+38 (050) 123-45-67", ["UA"], ["+380501234567"]),
        ("89244114455", ["UA"], []),  # a Russian trunk prefix means nothing in Ukraine
        ("hello", ["UA"], []),
    ],
)
def test_phone_spellings_table(raw, regions, expected):
    assert phone_candidates(raw, regions) == expected


def test_every_reply_template_fits_the_segments_documented():
    """Each reply in uk, ru and en fits one SMS (70 UCS-2 / 160 GSM-7 units), except those the table in
    docs/api.md says need two; the table is what the texts measure."""
    measured = {
        name: [sms_segments(reply_samples(language)[name]) for language in ("uk", "ru", "en")]
        for name in reply_samples("en")
    }
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    documented = {
        row[0]: [int(cell) for cell in row[1:]]
        for row in (
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in docs.splitlines()
            if line.startswith("| ") and line.count("|") == 5
        )
        if row[0] in measured
    }
    assert documented == measured
    two_segments = {name for name, counts in measured.items() if max(counts) > 1}
    assert two_segments == {"accepted, 3 zone(s)", "accepted without decimals, 3 zone(s)"}
    assert all(max(counts) <= 2 for counts in measured.values())


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
    assert body["reply"] == "Принято: 1952. Расход 952 кВт·ч."  # the value and the consumption
    assert sms_segments(body["reply"]) == 1
    assert (
        body["reply"] != send(client, {"from": "+380501234567", "text": "1 # 001952", "language": "en"}).json()["reply"]
    )


@pytest.mark.django_db
def test_the_full_form_passes_a_two_zone_reading_from_any_phone(client, two_zone_meter):
    response = send(client, {"from": "+380670000000", "text": "1000100001 02000007 28100 14010", "language": "en"})
    body = response.json()
    assert body["status"] == "accepted", body
    assert body["reply"] == "Accepted: day 28100, night 14010. Used 207+96 kWh."
    assert Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20").channel == "sms"
    client.force_login(two_zone_meter.account.links.get().user)
    history = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in history and "SMS" in history  # in the customer's history, with its channel


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("1000100001 02000007 28100", "wrong_value_count", "Meter 02000007: send day, night, in this order."),
        ("1000100001 99999999 28100 14010", "account_not_found", "Account and meter not found"),
        ("1 # 001952", "phone_not_registered", "Phone not registered"),
        ("привіт", "unknown_format", "Format: 1#012345, or account, meter and reading"),
        ("1000100001 02000007 27000 14010", "lower_than_previous", "Day 27000 is below the last 27893 of 30.10."),
        ("1000100001 02000007 28100 14010 1 2", "too_many_values", "at most 3 zones"),
        ("2", "no_question", "No question to answer"),
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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "№1000100001 №02000007 28100 14010",
        "1000100001, 02000007, 28100, 14010",
        "1000100001#02000007#28100#14010",
    ],
)
def test_numbers_as_people_type_them_pass_a_reading(client, two_zone_meter, text):
    body = send(client, {"from": "+380670000000", "text": text, "language": "uk"}).json()
    assert body["status"] == "accepted", body
    assert body["reply"] == "Прийнято: день 28100, ніч 14010. Спожито 207+96 кВт·год."
    assert Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20").values == {"day": 28100, "night": 14010}


@pytest.mark.django_db
def test_a_decimal_part_is_dropped_and_the_reply_says_so(client, two_zone_meter):
    body = send(client, {"from": "+380670000000", "text": "1000100001 02000007 28100,7 14010.25"}).json()
    assert body["status"] == "accepted", body
    assert body["reply"] == "Взяли день 28100, ніч 14010, без дробу. Спожито 207+96 кВт·год."
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "sms")


@pytest.fixture
def far_east(db):
    """A district in Russia (seed 002's supplier): national numbers there start with 8."""
    district = DistrictFactory(code="DEK-RU", name="ДЭК", country="RU")
    account = PersonalAccountFactory(district=district, number="1000300003")
    meter = MeterFactory(account=account, serial_number="0300300", install_total=5000)
    SmsContract.objects.create(phone="+79244114455", account=account, language="ru")
    return meter


@pytest.mark.django_db
@pytest.mark.parametrize("sender", ["+79244114455", "79244114455", "89244114455"])
def test_the_contract_phone_matches_in_all_three_spellings(client, far_east, sender):
    body = send(client, {"from": sender, "text": "1 # 5210,5"}).json()
    assert body["status"] == "accepted", body
    assert body["reply"] == "Взяли 5210, без дроби. Расход 210 кВт·ч."
    assert Reading.objects.get(meter=far_east, reading_date="2026-11-20").total == 5210


@pytest.mark.django_db
def test_swapped_day_and_night_are_asked_about_and_reply_1_swaps_them(client, two_zone_meter):
    sender = "+380670000000"
    asked = send(client, {"from": sender, "text": "1000100001 02000007 14010 28100", "language": "en"}).json()
    assert (asked["status"], asked["reply"]) == (
        "swap_question",
        "Day and night swapped? Reply 1 to swap them, 2 to keep them as sent.",
    )
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()
    answered = send(client, {"from": "380670000000", "text": "1", "language": "en"}).json()  # no "+" this time
    assert answered["reply"] == "Accepted: day 28100, night 14010. Used 207+96 kWh."
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.swap_corrected) == (28100, 14010, True)
    again = send(client, {"from": sender, "text": "1", "language": "en"}).json()
    assert again["code"] == "no_question"
    assert Reading.objects.filter(meter=two_zone_meter, reading_date="2026-11-20").count() == 1


@pytest.mark.django_db
def test_reply_2_keeps_the_numbers_as_sent_and_says_why_they_fail(client, two_zone_meter):
    send(client, {"from": "+380670000000", "text": "1000100001 02000007 14010 28100", "language": "en"})
    kept = send(client, {"from": "+380670000000", "text": "2", "language": "en"}).json()
    assert (kept["status"], kept["code"]) == ("rejected", "lower_than_previous")
    assert kept["reply"].startswith("Day 14010 is below the last 27893 of 30.10.")
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()
    assert not SmsSwapQuestion.objects.exists()


@pytest.mark.django_db
def test_a_swap_question_lapses_after_an_hour(client, two_zone_meter):
    send(client, {"from": "+380670000000", "text": "1000100001 02000007 14010 28100", "language": "en"})
    with time_machine.travel("2026-11-20 11:01 +02:00", tick=False):
        late = send(client, {"from": "+380670000000", "text": "1", "language": "en"}).json()
    assert late["code"] == "no_question"
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()


@pytest.mark.django_db
def test_staff_type_a_phone_as_dictated_and_it_is_stored_in_e164(admin_client, one_zone):
    page = admin_client.post(
        "/en/admin/readings/smscontract/add/",
        {"phone": "050 123-45-67", "account": one_zone.account.pk, "language": "uk", "is_active": "on"},
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    assert SmsContract.objects.get().phone == "+380501234567"
    refused = admin_client.post(
        "/en/admin/readings/smscontract/add/",
        {"phone": "12", "account": one_zone.account.pk, "language": "uk", "is_active": "on"},
    )
    assert "“12” is not a valid phone number" in refused.content.decode()
    assert SmsContract.objects.count() == 1


@pytest.mark.django_db
def test_the_data_migration_rewrites_stored_phones_in_e164(one_zone):
    from django.apps import apps

    typo = SmsContract.objects.create(phone="+3800931112233", account=one_zone.account)  # a national 0 kept
    clean = SmsContract.objects.create(phone="+380671112233", account=one_zone.account)
    twin_typo = SmsContract.objects.create(phone="+3800501234567", account=one_zone.account)
    twin = SmsContract.objects.create(phone="+380501234567", account=one_zone.account)
    importlib.import_module("readings.migrations.0005_sms_phones").contract_phones_e164(apps, None)
    rows = {row.pk: (row.phone, row.is_active) for row in SmsContract.objects.all()}
    assert rows == {
        typo.pk: ("+380931112233", True),
        clean.pk: ("+380671112233", True),
        twin_typo.pk: ("+3800501234567", False),  # the same phone as `twin`, which already holds it
        twin.pk: ("+380501234567", True),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"from": "+380670000000\u0000", "text": "1000100001 02000007 14010 28100"},
        {"from": "\ud800", "text": "1000100001 02000007 14010 28100"},
        {"from": "+380670000000", "text": "1000100001 0200\u00000007 28100 14010"},
        {"from": "+380670000000", "text": "\ud800 1 # 5"},
        {"from": "x" * 500, "text": "1"},
    ],
)
def test_no_gateway_post_answers_500(client, two_zone_meter, body):
    raw = json.dumps(body).encode()
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post("/channels/sms/inbound/", raw, content_type="application/json", HTTP_X_SIGNATURE=signature)
    assert response.status_code in (200, 400)
    assert response.json().get("reply") or response.json().get("error")
