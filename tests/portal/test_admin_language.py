"""The admin speaks the staff's language: every change list and change page of the demo portal, rendered in
Ukrainian, names codes by their words (no `household`, `half_peak`, `estimate_notice`, `average: 4 (728
kWh)`, "District", "Printed by"), the report's total says "Усього", and a seeded print batch downloads."""

import re

import pytest
from django.contrib import admin
from django.core.management import call_command

from accounts.models import User
from billing.models import PrintBatch
from tests.html import page_text

pytestmark = pytest.mark.django_db

TODAY = "2026-11-21"

# What the admin used to show instead of words (codes, field names, untranslated third-party labels).
RAW = [
    "household", "half_peak", "invoice_ready", "estimate_notice", "reading_reminder", "email_confirmation",
    "average:", "actual:", "reversal:", "kWh)", "(0, 20)", "(1, 3)", "District", "Printed by", "Created by",
    "Model name", "Add link", "Change or view list", "Periodic Tasks", "Solar events", "Correlation ID",
    "Resource", "Account:", "Meter:", "Reading:", "Run:", "changes:", "effective_from", "kwh_per_resident",
]  # fmt: skip
WORD_PATTERNS = [re.compile(rf"(?<![\w-]){re.escape(raw)}(?!\w)") for raw in RAW]
# An audit log entry's page shows the stored values of a change (codes such as half_peak): data, not labels.
DATA_PAGES = ("/admin/auditlog/logentry/",)


@pytest.fixture
def staff_client(client):
    call_command("seed_demo", "--today", TODAY, stdout=open("/dev/null", "w"))
    staff = User.objects.get(email="staff@example.com")
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    client.force_login(staff)
    return client


def admin_pages():
    for model in admin.site._registry:
        yield f"/admin/{model._meta.app_label}/{model._meta.model_name}/", model


def raw_values_in(text: str) -> list[str]:
    return [raw for raw, pattern in zip(RAW, WORD_PATTERNS, strict=True) if pattern.search(text)]


def test_every_change_list_and_change_page_names_things_in_ukrainian(staff_client):
    found = {}
    for url, model in admin_pages():
        pages = [url]
        latest = model.objects.order_by("-pk").first()
        if latest is not None:
            pages.append(f"{url}{latest.pk}/change/")
        for page in pages:
            response = staff_client.get(page)
            assert response.status_code == 200, page
            if page.startswith(DATA_PAGES) and page != url:
                continue
            text = page_text(response)
            if raw := raw_values_in(text):
                found[page] = raw
    assert found == {}


def test_rows_read_as_staff_say_them(staff_client):
    tariffs = page_text(staff_client.get("/admin/billing/tariff/"))
    assert "побутові споживачі" in tariffs and "Напівпік" in tariffs
    runs = page_text(staff_client.get("/admin/billing/billingrun/"))
    assert re.search(r"за середнім споживанням: \d+ нарах\., \d+ кВт·год", runs)
    emails = page_text(staff_client.get("/admin/accounts/outgoingemail/"))
    assert "нагадування передати показники" in emails
    districts = page_text(staff_client.get("/admin/accounts/district/"))
    assert "відкривається: передостанній день, розрахунковий місяць; закривається: 3 число, наступний місяць" in (
        districts
    )
    batches = page_text(staff_client.get("/admin/billing/printbatch/"))
    assert "Філія" in batches and "Хто надрукував" in batches
    assert "Фільтр: філія" in batches and "За філія" not in batches


def test_the_channel_report_totals_say_usogo(staff_client):
    text = page_text(staff_client.get("/admin/readings/reading/report/", {"start": "2026-10-25", "end": "2026-11-05"}))
    assert "Усього" in text
    assert "Загальні" not in text  # the zone's name, which the total used to borrow


def test_a_seeded_print_batch_downloads(staff_client):
    """The demo records old paper invoices as printed in a batch without a document: downloading it lays the
    batch out again from its invoices (three of them here, to keep the test short)."""
    batch = PrintBatch.objects.filter(pdf="").order_by("pk").first()
    keep = list(batch.invoices.order_by("account_number").values_list("pk", flat=True)[:3])
    batch.invoices.exclude(pk__in=keep).update(print_batch=None)

    response = staff_client.get(f"/admin/billing/printbatch/{batch.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    batch.refresh_from_db()
    assert batch.pdf  # stored: the next download is instant
