"""Readings by email: the free-text parser as a table (uk, ru), and Mailgun's signed inbound webhook (the
fully-parsed form fields Mailgun documents) through django-anymail end to end: a clear email passes the
reading with channel email and the sender gets the SMS echo; an unclear one waits for staff, who pick the
meter and accept."""

import hashlib
import hmac
import json
from datetime import date

import pytest
import time_machine
from allauth.account.models import EmailAddress

from accounts.models import OutgoingEmail
from readings.channels.email_format import EmailFacts, parse_email_reading, text_language
from readings.models import EmailReading, Reading
from tests.factories import MeterFactory
from tests.factories.accounts import CONTACT_CENTRE, staff_in_role

SIGNING_KEY = "local-mailgun-signing-key"


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        (
            "Добрий день! Особовий рахунок 1000100001, лічильник № 02000007. Показання: день 28100, ніч 14010,5. "
            "Знято 20.11.2026. Тел. +38 050 123 45 67",
            EmailFacts(
                "1000100001", "02000007", {"day": 28100, "night": 14010}, True, date(2026, 11, 20), "+380501234567"
            ),
        ),
        (
            "Здравствуйте. Лицевой счёт № 1000200002, счётчик 0100234, показания 1952. Адрес: ул. Ленина 5, кв 3.",
            EmailFacts("1000200002", "0100234", {"total": 1952}),
        ),
        ("л/с 1000100001 день - 28 100 ночь - 14 010", EmailFacts("1000100001", None, {"day": 28100, "night": 14010})),
        (
            "о/р 1000100003; пік 5600, напівпік 8995, ніч 6400; дата 2026-11-19",
            EmailFacts("1000100003", None, {"peak": 5600, "half_peak": 8995, "night": 6400}, False, date(2026, 11, 19)),
        ),
        ("вул. Шевченка 1, кв. 5, показ 12345", EmailFacts(None, None, {"total": 12345})),
        ("Привіт, у мене питання щодо рахунку", EmailFacts()),
    ],
)
def test_parse_table(text, facts):
    assert parse_email_reading(text) == facts


@pytest.mark.parametrize(
    ("text", "language"), [("Показання: день 1", "uk"), ("Показания: ночь", "ru"), ("Лицевой счёт", "ru"), ("Hi", "en")]
)
def test_the_reply_language_follows_the_letters(text, language):
    assert text_language(text) == language


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


def mailgun_post(client, *, sender, subject, text, message_id="<20261120100000.1@mail.example>", key=SIGNING_KEY):
    """A Mailgun route's forward(): the fully-parsed fields and the signature (HMAC of timestamp + token)."""
    timestamp, token = "1795680000", "c47ae1d3ee7ea0aeb0c2b8d0f5b2f0c8e4b1a3b5c7d9e1f3a5"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    headers = [
        ["Received", "by mx.mailgun.org"],
        ["From", f"Олена <{sender}>"],
        ["To", "readings@portal.example"],
        ["Subject", subject],
        ["Message-Id", message_id],
        ["Content-Type", 'text/plain; charset="utf-8"'],
    ]
    return client.post(
        "/channels/email/mailgun/inbound/",
        {
            "recipient": "readings@portal.example",
            "sender": sender,
            "from": f"Олена <{sender}>",
            "subject": subject,
            "body-plain": text,
            "stripped-text": text,
            "message-headers": json.dumps(headers),
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
    )


@pytest.mark.django_db
def test_a_clear_email_passes_a_two_zone_reading_into_the_cabinet_history(client, two_zone_meter):
    text = "Доброго дня. Особовий рахунок 1000100001, лічильник 02000007: день 28100, ніч 14010,5."
    response = mailgun_post(client, sender="olena@example.com", subject="Показання", text=text)
    assert response.status_code == 200
    row = EmailReading.objects.get()
    assert (row.status, row.sender, row.reason) == ("accepted", "olena@example.com", "")
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "email")
    reply = OutgoingEmail.objects.get(to_email="olena@example.com")
    assert reply.body_text == "Взяли день 28100, ніч 14010, без дробу. Спожито 207+96 кВт·год."
    assert reply.language == "uk"

    assert mailgun_post(client, sender="olena@example.com", subject="Показання", text=text).status_code == 200
    assert EmailReading.objects.count() == 1 and OutgoingEmail.objects.count() == 1  # a redelivery: once

    client.force_login(two_zone_meter.account.links.get().user)
    history = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in history and "email" in history


@pytest.mark.django_db
def test_a_forged_signature_is_refused_and_stores_nothing(client, two_zone_meter):
    text = "Особовий рахунок 1000100001, лічильник 02000007: день 28100, ніч 14010."
    response = mailgun_post(client, sender="olena@example.com", subject="x", text=text, key="guess")
    assert response.status_code == 400
    assert not EmailReading.objects.exists() and not Reading.objects.filter(reading_date="2026-11-20").exists()


@pytest.mark.django_db
def test_the_account_alone_is_enough_from_a_verified_address_of_a_linked_user(client, kyiv):
    meter = MeterFactory(
        account__district=kyiv, account__number="1000200002", serial_number="0100234", install_total=1000
    )
    from tests.factories import AccountLinkFactory

    link = AccountLinkFactory(account=meter.account)
    EmailAddress.objects.create(user=link.user, email="ivan@example.com", verified=True, primary=True)
    mailgun_post(client, sender="Ivan@Example.com", subject="Показания", text="Лицевой счёт 1000200002, показания 1952")
    assert Reading.objects.get(meter=meter, reading_date="2026-11-20").total == 1952
    assert OutgoingEmail.objects.get().body_text == "Принято: 1952. Расход 952 кВт·ч."
    mailgun_post(
        client,
        sender="stranger@example.com",
        subject="Показания",
        text="Лицевой счёт 1000200002, показания 1990",
        message_id="<2@mail.example>",
    )
    waiting = EmailReading.objects.get(sender="stranger@example.com")
    assert (waiting.status, waiting.reason) == (
        "queued",
        "no meter serial, and the sender is not a verified user of the account",
    )


@pytest.mark.django_db
def test_an_email_with_only_an_address_waits_for_staff_who_accept_it(client, admin_client, two_zone_meter):
    text = "Адреса: вул. Шевченка 1, кв. 5. Показання день 28100 ніч 14010, 19.11.2026. Тел. 0501234567"
    mailgun_post(client, sender="olena@example.com", subject="Показання", text=text)
    row = EmailReading.objects.get()
    assert (row.status, row.reason) == ("queued", "no account number found")
    assert not OutgoingEmail.objects.exists()  # nothing is said to an address until staff have looked

    queue = admin_client.get("/en/admin/readings/emailreading/?status__exact=queued").content.decode()
    assert "olena@example.com" in queue
    page = admin_client.get(f"/en/admin/readings/emailreading/{row.pk}/accept/").content.decode()
    assert "вул. Шевченка 1, кв. 5" in page and 'value="28100"' in page  # the email, and the values prefilled
    form = {"meter_serial": "02000007", "reading_date": "2026-11-19", "day": "28100", "night": "14010"}
    # Entering the reading is the reviewers' role: the contact centre may look, not accept.
    client.force_login(staff_in_role(CONTACT_CENTRE))
    assert client.post(f"/en/admin/readings/emailreading/{row.pk}/accept/", form).status_code == 403
    assert not Reading.objects.filter(meter=two_zone_meter, reading_date="2026-11-19").exists()
    response = admin_client.post(
        f"/en/admin/readings/emailreading/{row.pk}/accept/",
        {"meter_serial": "02000007", "reading_date": "2026-11-19", "day": "28100", "night": "14010"},
    )
    assert response.status_code == 302
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-19")
    assert (reading.day, reading.night, reading.channel, reading.submitted_by.is_staff) == (28100, 14010, "email", True)
    row.refresh_from_db()
    assert (row.status, row.reading_id, row.decided_by.is_staff) == ("accepted", reading.pk, True)
    assert OutgoingEmail.objects.get(to_email="olena@example.com").body_text.startswith(
        "Прийнято: день 28100, ніч 14010."
    )


@pytest.mark.django_db
def test_staff_see_why_a_picked_reading_fails_and_nothing_is_stored(admin_client, two_zone_meter):
    from django.utils import timezone

    from readings.channels.email import email_reading_receive

    row = email_reading_receive(
        message_id="<3@x>",
        sender="a@example.com",
        subject="",
        text="день 27000 ніч 14010",
        now=timezone.now(),
        today=date(2026, 11, 20),
    )
    response = admin_client.post(
        f"/en/admin/readings/emailreading/{row.pk}/accept/",
        {"meter_serial": "02000007", "reading_date": "2026-11-20", "day": "27000", "night": "14010"},
    )
    assert response.status_code == 200
    assert "День 27000 менше за попередній 27893 від 30.10." in response.content.decode()  # the sender's words
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()
    missing = admin_client.post(
        f"/en/admin/readings/emailreading/{row.pk}/accept/",
        {"meter_serial": "02000007", "reading_date": "2026-11-20", "day": "28100"},
    )
    assert "Meter 02000007 needs this zone." in missing.content.decode()
