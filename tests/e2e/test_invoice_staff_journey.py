"""Staff after a pass: build and download the print batches, mark them printed; a bank statement import
marks the demo customer's latest invoice paid, in the admin and in the customer's cabinet."""

import re
import subprocess

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Invoice, PrintBatch
from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD


def log_in_admin(page, live_server, email):
    page.goto(live_server.url + "/en/admin/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_staff_download_a_print_batch_and_a_statement_marks_the_invoice_paid(
    page, live_server, shoot, screenshot_dir, tmp_path, transactional_db
):
    call_command("seed_demo", "--today", timezone.localdate().isoformat())
    waiting = Invoice.objects.filter(paper_copy=True, print_batch__isnull=True).exclude(status="void")
    queued = {
        district: waiting.filter(district_id=district).count()
        for district in waiting.values_list("district_id", flat=True)
    }
    assert queued, "the demo's latest month has paper invoices waiting"
    staff = UserFactory(email="printer@example.com", is_staff=True, is_superuser=True)

    log_in_admin(page, live_server, staff.email)
    page.goto(live_server.url + "/en/admin/billing/printbatch/")
    page.get_by_role("button", name="Build print batches now").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Print batches built: {len(queued)}")
    new_batches = PrintBatch.objects.exclude(pdf="")
    assert {batch.district_id: batch.invoice_count for batch in new_batches} == queued
    shoot("invoice-print-batches-en")

    batch = new_batches.order_by("pk").first()
    response = page.request.get(live_server.url + f"/en/admin/billing/printbatch/{batch.pk}/pdf/")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "batch.pdf"
    pdf.write_bytes(response.body())
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1))
    assert pages == batch.invoice_count  # one page per invoice
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(screenshot_dir / "invoice-print-batch")],
        check=True,
    )

    page.locator(f"input[name=_selected_action][value='{batch.pk}']").check()
    page.locator("select[name=action]").select_option("mark_printed")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("Marked as printed: 1")
    batch.refresh_from_db()
    assert batch.printed_by == staff and batch.printed_at is not None

    invoice = Invoice.objects.filter(account__links__user__email="demo@example.com", status="issued").latest(
        "issued_at"
    )
    statement = tmp_path / "statement.csv"
    statement.write_text(
        "account_number,paid_on,amount,reference\n"
        f"{invoice.account_number},{timezone.localdate().isoformat()},{invoice.amount_due},PB-E2E-1\n",
        encoding="utf-8",
    )
    call_command("import_payments", str(statement))
    invoice.refresh_from_db()
    assert invoice.status == "paid"

    page.goto(live_server.url + f"/en/admin/billing/invoice/?q={invoice.number}")
    expect(page.locator("#result_list")).to_contain_text("paid")
    shoot("invoice-admin-paid-en")

    page.context.clear_cookies()
    page.goto(live_server.url + "/en/accounts/login/")
    page.locator("input[name=login]").fill("demo@example.com")
    page.locator("input[name=password]").fill("demo-portal-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/en/cabinet/")
    page.goto(live_server.url + f"/en/cabinet/accounts/{invoice.account_number}/invoices/")
    row = page.locator("tr", has_text=invoice.number)
    expect(row).to_contain_text("paid")
    shoot("invoice-list-paid-en")
