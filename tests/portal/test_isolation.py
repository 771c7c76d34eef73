"""Every account-scoped URL shows an account only to users linked to it, and to staff.

The URL list is read from the URL configuration: any new URL with an account `number` in it is covered
here without anyone remembering to add it.
"""

import datetime

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from accounts.models import PersonalAccount
from billing.invoices.services import invoices_issue
from billing.models import Invoice
from readings.models import Reading
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory, UserFactory
from tests.factories.accounts import CONTACT_CENTRE, staff_in_role

pytestmark = pytest.mark.django_db


def account_scoped_url_names() -> list[str]:
    names = []

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and "number" in pattern.pattern.converters and pattern.name:
                names.append((pattern.name, tuple(sorted(pattern.pattern.converters))))

    walk(get_resolver().url_patterns)
    return sorted(set(names))


ACCOUNT_URLS = account_scoped_url_names()


def test_the_walker_finds_the_account_urls():
    names = {name for name, _ in ACCOUNT_URLS}
    assert {
        "account_detail",
        "account_settings",
        "account_unlink",
        "reading_new",
        "meter_history",
        "reading_photo",
        "account_invoices",
        "invoice_generate",
        "invoice_detail",
        "invoice_pdf",
        "account_payments",
    } <= names


@pytest.fixture
def world(settings):
    for name in ("mine", "theirs"):  # real files, so that a wrongly allowed photo request would succeed
        path = settings.MEDIA_ROOT / "reading-photos" / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff " + name.encode())
    mine = AccountLinkFactory(account__number="1000100001", account__address="вул. Моя, 1").account
    ReadingFactory(meter=MeterFactory(account=mine, serial_number="111"), photo="reading-photos/mine.jpg")
    theirs = AccountLinkFactory(
        account__number="2000200002", account__address="вул. Чужа, 2", account__holder_name="Чужий Власник"
    ).account
    ReadingFactory(meter=MeterFactory(account=theirs, serial_number="222"), photo="reading-photos/theirs.jpg")
    # One invoice each (issued by the real service), for the URLs with an `invoice_number`.
    with transaction.atomic():
        invoices_issue(
            account_ids=[mine.pk, theirs.pk],
            kind="auto",
            billing_month=datetime.date(2026, 10, 1),
            issued_on=datetime.date(2026, 11, 3),
            now=timezone.now(),
        )
    return mine, theirs


def url(pattern, number, ids_from=None):
    """The URL of `pattern` for account `number`, its other parts taken from that account (or made up), or
    from the account numbered `ids_from`: another customer's reading, meter or invoice under one's own number."""
    name, converters = pattern
    account = PersonalAccount.objects.filter(number=ids_from or number).first()
    meter = account.meters.first() if account else None
    reading = meter.readings.first() if meter else None
    invoice = account.invoices.first() if account else None
    kwargs = {"number": number}
    if "serial" in converters:
        kwargs["serial"] = meter.serial_number if meter else "000"
    if "pk" in converters:
        kwargs["pk"] = reading.pk if reading else 999999
    if "invoice_number" in converters:
        kwargs["invoice_number"] = invoice.number if invoice else "KYIV-2026-9999999"
    with translation.override("uk"):
        return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", ACCOUNT_URLS, ids=lambda pattern: pattern[0])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("number", ["2000200002", "9999999999"])
def test_other_and_unknown_accounts_are_404_and_reveal_nothing(client, world, name, method, number):
    mine, theirs = world
    client.force_login(mine.links.get().user)
    data = {"invoice_mode": "self", "paper_copy": "on", "total": "99999", "reading_date": "2026-11-01"}
    response = getattr(client, method)(url(name, number), data)
    assert response.status_code in (404, 405)
    body = response.content.decode()
    assert theirs.address not in body and theirs.holder_name not in body
    theirs.refresh_from_db()
    assert (theirs.invoice_mode, theirs.paper_copy) == ("hybrid", False)
    assert theirs.links.count() == 1
    assert Reading.objects.filter(meter__account=theirs).count() == 1
    assert Invoice.objects.filter(account=theirs).count() == 1 and not Invoice.objects.get(account=theirs).pdf


ID_URLS = [pattern for pattern in ACCOUNT_URLS if {"pk", "serial", "invoice_number"} & set(pattern[1])]


def test_the_id_crawl_covers_readings_meters_and_invoices():
    names = {name for name, _ in ID_URLS}
    assert {
        "reading_photo",
        "reading_receipt",
        "reading_new",
        "meter_history",
        "invoice_detail",
        "invoice_pdf",
    } <= names


@pytest.mark.parametrize("name", ID_URLS, ids=lambda pattern: pattern[0])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_ids_under_ones_own_number_are_404(client, world, name, method):
    mine, theirs = world
    client.force_login(mine.links.get().user)
    path = url(name, mine.number, ids_from=theirs.number)
    assert path != url(name, mine.number)  # really another customer's reading, meter or invoice
    data = {"total": "99999", "reading_date": "2026-11-01"}
    response = getattr(client, method)(path, data)
    assert response.status_code in (404, 405), path
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    assert b"theirs" not in body  # the other customer's photo bytes
    assert theirs.address.encode() not in body and theirs.holder_name.encode() not in body
    invoice = Invoice.objects.get(account=theirs)
    assert not body.startswith(b"%PDF") and not invoice.pdf  # nothing rendered for them
    assert Reading.objects.filter(meter__account=theirs).count() == 1
    assert Reading.objects.filter(meter__account=mine).count() == 1


@pytest.mark.parametrize("name", ACCOUNT_URLS, ids=lambda pattern: pattern[0])
def test_anonymous_visitors_are_sent_to_log_in(client, world, name):
    path = url(name, "1000100001")
    response = client.get(path)
    if path.startswith("/api/"):  # machines get 401, not a login page
        assert response.status_code == 401
        return
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ACCOUNT_URLS, ids=lambda pattern: pattern[0])
def test_the_linked_user_reaches_every_page(client, world, name):
    mine, _ = world
    client.force_login(mine.links.get().user)
    assert client.get(url(name, mine.number)).status_code in (200, 405)


@pytest.mark.parametrize("name", ACCOUNT_URLS, ids=lambda pattern: pattern[0])
def test_the_contact_centre_may_see_any_account(client, world, name):
    _, theirs = world
    client.force_login(staff_in_role(CONTACT_CENTRE))
    response = client.get(url(name, theirs.number))
    if name[0] == "account_unlink":
        # The unlink page is about the staff member's own link, which does not exist: 404 there, and only there.
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 405)


@pytest.mark.parametrize("name", ACCOUNT_URLS, ids=lambda pattern: pattern[0])
def test_staff_without_the_contact_centre_role_see_no_customer(client, world, name):
    _, theirs = world
    client.force_login(UserFactory(is_staff=True))
    response = client.get(url(name, theirs.number))
    assert response.status_code in (401, 404, 405)
    assert theirs.address not in response.content.decode()
