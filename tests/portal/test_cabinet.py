"""The cabinet: dashboard, account page, settings, linking and unlinking, profile."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountLink, AccountLinkEvent
from tests.factories import AccountLinkFactory, MeterFactory, UserFactory
from tests.factories.accounts import BILLING_STAFF, CONTACT_CENTRE, READING_REVIEWERS, staff_in_role
from tests.html import page_text

pytestmark = pytest.mark.django_db

NEUTRAL = "We could not find an account with this number and meter serial number."


def test_cabinet_needs_login(client):
    response = client.get("/cabinet/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_empty_dashboard_invites_to_add_an_account(client, customer):
    client.force_login(customer)
    text = page_text(client.get("/en/cabinet/"))
    assert "Add your personal account to pass readings" in text
    assert "Add an account" in text


@time_machine.travel("2026-11-21 12:00 +0200", tick=False)
def test_dashboard_shows_each_account_as_the_customer_needs_it(client, customer, two_zone_account):
    client.force_login(customer)
    text = page_text(client.get("/en/cabinet/"))
    assert "Account 1000100001" in text
    assert "м. Київ, вул. Шевченка, буд. 1" in text
    assert "Nothing to pay · as of 21 November 2026 · no bills yet" in text
    assert "Day (the display shows 1.8.2, 15.8.2 or T22) 27893" in text
    assert "Night (the display shows 1.8.1, 15.8.1 or T21) 13914" in text
    assert "Last accepted reading: 31 October 2026." in text
    assert "The next window for readings opens on 29 November." in text


@time_machine.travel("2026-12-02 12:00 +0200", tick=False)
def test_dashboard_in_ukrainian_during_the_window(client, customer, two_zone_account):
    client.force_login(customer)
    text = page_text(client.get("/cabinet/"))
    assert "Покази за листопад 2026 приймаються до 3 грудня." in text
    assert "Сплачувати нічого не потрібно · станом на 2 грудня 2026" in text


@time_machine.travel("2026-12-02 12:00 +0200", tick=False)
def test_the_balance_says_what_it_means_and_when(client, customer, two_zone_account):
    """405 kWh x 2.16 = 874.80 to pay; after a payment of 994.80 the customer has paid 120.00 too much."""
    from decimal import Decimal

    from billing.payments.services import PaymentLine, payments_book
    from tests.factories.billing import ChargeFactory

    ChargeFactory(meter=two_zone_account.meters.get(), volume_kwh=405, price=Decimal("2.16000"))
    client.force_login(customer)
    # Charges but no bill yet: why, by the account's invoice mode.
    two_zone_account.invoice_mode = "supplier"
    two_zone_account.save(update_fields=["invoice_mode"])
    text = page_text(client.get("/cabinet/"))
    assert (
        "До сплати 874,80 грн · станом на 2 грудня 2026 · рахунків ще немає: постачальник виставить його 3 грудня 2026"
        in text
    )
    two_zone_account.invoice_mode = "self"
    two_zone_account.save(update_fields=["invoice_mode"])
    assert "рахунків ще немає: сформуйте рахунок самі" in page_text(client.get("/cabinet/"))
    assert "До сплати 874,80 грн · станом на 2 грудня 2026" in page_text(client.get("/cabinet/"))
    assert "К оплате 874,80 грн · на 2 декабря 2026" in page_text(client.get("/ru/cabinet/"))
    payments_book(
        lines=[PaymentLine(two_zone_account.number, datetime.date(2026, 12, 1), Decimal("994.80"), "BANK-1")],
        now=timezone.now(),
    )
    assert "Переплата 120,00 грн · станом на 2 грудня 2026" in page_text(client.get("/cabinet/"))
    assert "Overpaid 120.00 UAH · as of 2 December 2026" in page_text(client.get("/en/cabinet/"))
    detail = page_text(client.get(f"/cabinet/accounts/{two_zone_account.number}/"))
    assert "Переплата 120,00 грн · станом на 2 грудня 2026" in detail


def test_account_page_names_zones_by_their_display_labels_and_offers_settings(client, customer, two_zone_account):
    client.force_login(customer)
    text = page_text(client.get("/en/cabinet/accounts/1000100001/"))
    assert "Account holder" in text and "Київська філія" in text and "0 800 300 150" in text
    assert "Meter 02000007 two-zone (day and night)" in text
    assert "Day (the display shows 1.8.2, 15.8.2 or T22)" in text
    assert "The supplier issues my bill every month on the 3rd-4th." in text  # plain-words invoice modes
    assert "Also send me a paper bill by post" in text


def test_settings_are_saved(client, customer, two_zone_account):
    client.force_login(customer)
    response = client.post(
        reverse("account_settings", args=["1000100001"]),
        {"invoice_mode": "supplier", "paper_copy": "on", "premises_vacant": "", "notify_by_email": ""},
    )
    assert response.status_code == 302
    two_zone_account.refresh_from_db()
    assert (two_zone_account.invoice_mode, two_zone_account.paper_copy, two_zone_account.premises_vacant) == (
        "supplier",
        True,
        False,
    )
    assert AccountLink.objects.get(user=customer).notify_by_email is False


def test_bad_settings_change_nothing(client, customer, two_zone_account):
    client.force_login(customer)
    response = client.post(
        reverse("account_settings", args=["1000100001"]), {"invoice_mode": "fax", "paper_copy": "on"}, follow=True
    )
    assert "The settings were not saved" in page_text(response) or "не збережено" in page_text(response)
    two_zone_account.refresh_from_db()
    assert (two_zone_account.invoice_mode, two_zone_account.paper_copy) == ("hybrid", False)


def test_link_form_links_with_the_right_pair(client, customer):
    meter = MeterFactory(serial_number="0012345", account__number="2000200001")
    client.force_login(customer)
    response = client.post("/en/cabinet/link/", {"account_number": "2000 2000 01", "meter_serial": "0012345"})
    assert response.status_code == 302 and response["Location"] == "/en/cabinet/"
    assert AccountLink.objects.filter(user=customer, account=meter.account).exists()


@pytest.mark.parametrize(("number", "serial"), [("2000200009", "0012345"), ("2000200001", "0012399")])
def test_wrong_pair_shows_one_neutral_message(client, customer, number, serial):
    MeterFactory(serial_number="0012345", account__number="2000200001")
    client.force_login(customer)
    response = client.post("/en/cabinet/link/", {"account_number": number, "meter_serial": serial})
    assert response.status_code == 400
    text = page_text(response)
    assert NEUTRAL in text
    assert "Please check what you entered" in text
    assert not AccountLink.objects.exists()


def test_empty_link_form_names_the_fields(client, customer):
    client.force_login(customer)
    text = page_text(client.post("/en/cabinet/link/", {"account_number": "", "meter_serial": ""}))
    assert "Personal account number: This field is required." in text
    assert "Meter serial number: This field is required." in text


def test_unlink_asks_then_removes(client, customer, two_zone_account):
    client.force_login(customer)
    url = "/cabinet/accounts/1000100001/unlink/"
    assert "Remove account 1000100001" in page_text(client.get("/en" + url))
    response = client.post(url)
    assert response.status_code == 302
    assert not AccountLink.objects.exists()
    assert AccountLinkEvent.objects.get().action == "unlink"


def test_profile_changes_name_and_language(client, customer):
    client.force_login(customer)
    response = client.post("/cabinet/profile/", {"full_name": "Олена Коваленко", "preferred_language": "en"})
    assert response["Location"] == "/en/cabinet/profile/"
    customer.refresh_from_db()
    assert (customer.full_name, customer.preferred_language) == ("Олена Коваленко", "en")


def test_contact_centre_sees_any_account_page_but_cannot_unlink_for_nobody(client, two_zone_account):
    client.force_login(staff_in_role(CONTACT_CENTRE))
    assert client.get(reverse("account_detail", args=["1000100001"])).status_code == 200
    assert client.get(reverse("account_unlink", args=["1000100001"])).status_code == 404


def test_staff_without_the_contact_centre_role_see_no_customer_page(client, two_zone_account):
    for staff in (UserFactory(is_staff=True), staff_in_role(BILLING_STAFF), staff_in_role(READING_REVIEWERS)):
        client.force_login(staff)
        assert client.get(reverse("account_detail", args=["1000100001"])).status_code == 404


def test_dashboard_queries_do_not_grow_with_accounts(client, customer, django_assert_num_queries, kyiv):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/cabinet/").status_code == 200
        return len(captured)

    client.force_login(customer)
    AccountLinkFactory(user=customer, account__district=kyiv)
    MeterFactory(account=customer.account_links.get().account)
    with_one = count_queries()
    for _ in range(19):
        link = AccountLinkFactory(user=customer, account__district=kyiv)
        MeterFactory(account=link.account)
        MeterFactory(account=link.account, zone_set="day+night")
    assert customer.account_links.count() == 20
    assert count_queries() == with_one
    assert with_one <= 8  # 7: the balances of all cards (charges, payments, "has invoices") are one query
