"""Values that programs read are never localized: every customer page (and the staff forms with dates) in
Ukrainian and Russian, the history CSV and the API's JSON, scanned for "48,5", "02.12.2026" or "1 234"
inside attributes a browser or a program parses (issue 12: the uk date input showed empty, the chart drew
nothing). The pages are found by following links from the cabinet, so a new page is scanned too."""

import csv
import io
import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import PersonalAccount, User
from portal.machine import machine_value
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LANGUAGES = {"uk": "", "ru": "/ru"}
# A localized number or date: a decimal comma, a dotted day.month.year, a thousands group with a
# (non-breaking) space.
LOCALIZED = re.compile(r"\d,\d|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\d[\u00a0\u202f ]\d{3}\b")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?(%|px|rem|em|mm)?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMERIC_ATTRIBUTES = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry", "width", "height"}
NUMERIC_ATTRIBUTES |= {"colspan", "rowspan", "font-size", "stroke-width", "maxlength", "minlength", "tabindex"}
# Attributes that carry words for people, not values for programs.
TEXT_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-label", "content", "href", "src", "action"}


class AttributeScanner(HTMLParser):
    """Collects (tag, attribute, value, problem) for machine-read attributes holding a localized value."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        input_type = (attributes.get("type") or "text").lower() if tag == "input" else None
        for name, value in attrs:
            if value is None or name in TEXT_ATTRIBUTES:
                continue
            problem = None
            if name in NUMERIC_ATTRIBUTES and not PLAIN_NUMBER.fullmatch(value):
                problem = "not a plain number"
            elif name == "viewbox" and not all(PLAIN_NUMBER.fullmatch(token) for token in value.split(" ")):
                problem = "viewBox is not plain numbers"
            elif input_type == "date" and name in ("value", "min", "max") and value and not ISO_DATE.fullmatch(value):
                problem = "a date input needs an ISO date"
            elif name == "datetime" and not ISO_DATE.match(value):
                problem = "datetime is not ISO"
            elif (name.startswith("data-") or name in ("value", "min", "max", "step")) and LOCALIZED.search(value):
                problem = "localized number or date"
            if problem:
                self.problems.append((tag, name, value, problem))


def scan(html: str) -> AttributeScanner:
    scanner = AttributeScanner()
    scanner.feed(html)
    return scanner


def test_the_scanner_catches_what_it_must():
    """The scan itself: a localized value in each kind of attribute is found, the ISO/point forms pass."""
    bad = scan(
        '<svg viewBox="0 0 640 240"><rect x="48,5" y="12" width="30.5" height="1 200"/></svg>'
        '<input type="date" value="02.12.2026"><input type="hidden" name="d" value="02.12.2026">'
        '<div data-amount="874,80"></div><time datetime="2 грудня 2026">'
    ).problems
    assert [(tag, name) for tag, name, *_ in bad] == [
        ("rect", "x"),
        ("rect", "height"),
        ("input", "value"),
        ("input", "value"),
        ("div", "data-amount"),
        ("time", "datetime"),
    ]
    good = '<svg viewBox="0 0 640 240"><rect x="48.5" y="12" width="30.5" height="1200"/></svg>'
    good += '<input type="date" value="2026-12-02"><div data-amount="874.80" data-label="Сума, грн"></div>'
    assert scan(good).problems == []


def test_machine_value_is_the_same_in_every_language():
    import datetime
    from decimal import Decimal

    assert machine_value(datetime.date(2026, 12, 2)) == "2026-12-02"
    assert machine_value(48.5) == "48.5"
    assert machine_value(240.0) == "240"
    assert machine_value(Decimal("874.80")) == "874.80"
    assert machine_value(12345) == "12345"
    assert machine_value(None) == ""


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--today", timezone.localdate().isoformat())
    return User.objects.get(email="demo@example.com")


def crawl(client, start_urls: list[str], prefix: str, limit: int = 150) -> dict[str, str]:
    """Every page reachable from `start_urls` inside the cabinet and the public form (same language)."""
    seen, queue, pages = set(), list(start_urls), {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        pages[url] = html
        for href in scan(html).links:
            path = urlsplit(href).path
            if urlsplit(href).netloc or not path.startswith(f"{prefix}/cabinet/"):
                continue
            if path.endswith(("/pdf/", "/photo/", ".csv", "/csv/", "/unlink/")):
                continue
            queue.append(path)
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_localized_value_in_any_attribute_of_any_page(client, demo, language):
    prefix = LANGUAGES[language]
    client.force_login(demo)
    pages = crawl(client, [f"{prefix}/cabinet/", f"{prefix}/cabinet/profile/", f"{prefix}/cabinet/link/"], prefix)
    # The pages with a date input, a chart and a form: reached, not just the dashboard.
    assert any("/history/" in url for url in pages), list(pages)
    assert any(url.endswith("/reading/") for url in pages), list(pages)
    assert any(re.search(r"/invoices/[A-Z]", url) for url in pages), list(pages)

    # The form without registration, through its steps, with its hidden date.
    account = PersonalAccount.objects.get(number="1000100001")
    client.logout()
    pages[f"{prefix}/readings/"] = client.get(f"{prefix}/readings/").content.decode()
    serial = account.meters.get().serial_number
    client.post(f"{prefix}/readings/", {"account_number": account.number, "meter_serial": serial})
    response = client.post(f"{prefix}/readings/confirm/", {"answer": "yes"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("/readings/enter/")
    pages[f"{prefix}/readings/enter/"] = response.content.decode()
    pages[f"{prefix}/"] = client.get(f"{prefix}/").content.decode()

    # Staff forms with date inputs.
    staff = UserFactory(email="scan-staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for path in ("admin/readings/reading/report/", "admin/billing/billingrun/start/", "admin/readings/reading/enter/"):
        pages[f"{prefix}/{path}"] = client.get(f"{prefix}/{path}").content.decode()

    problems = [
        f"{url}: <{tag} {name}={value!r}> {why}"
        for url, html in pages.items()
        for tag, name, value, why in scan(html).problems
    ]
    assert problems == [], "\n".join(problems)
    assert len(pages) >= 12, list(pages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_history_csv_and_api_json_are_not_localized(client, demo, language):
    prefix = LANGUAGES[language]
    client.force_login(demo)
    account = PersonalAccount.objects.get(number="1000100001")
    meter = account.meters.get()
    response = client.get(f"{prefix}/cabinet/accounts/{account.number}/meters/{meter.serial_number}/history.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
    assert rows
    for row in rows:
        assert ISO_DATE.fullmatch(row["reading_date"]), row
        assert re.fullmatch(r"\d+", row["value"]), row
        assert not any(LOCALIZED.search(value) for value in row.values()), row

    for path in ("accounts/", f"accounts/{account.number}/charges/", f"accounts/{account.number}/invoices/"):
        response = client.get(f"/api/v1/{path}", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, path
        text = json.dumps(response.json(), ensure_ascii=False)
        # Amounts are strings with a point ("874.80"), dates ISO: nothing like "874,80" or "02.12.2026".
        assert not re.search(r"\d,\d|\b\d{1,2}\.\d{1,2}\.\d{4}\b", text), (path, text[:500])
