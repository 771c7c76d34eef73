"""Rows the benchmarks share, written by COPY: one district's accounts, each with one meter (bench/invoices.py,
bench/reminders.py). Import after `django.setup()`."""

from datetime import date

from django.utils import timezone

from bench.billing_run import copy_rows


def two_zone(i: int) -> bool:
    """Account (and meter) `i` has a day+night meter: 40 % of them; the others one zone."""
    return i % 5 >= 3


def metered_accounts(accounts: int, *, invoice_mode: str, register_labels: tuple[str, str]):
    """The district BENCH with accounts 1..`accounts` (household, 2 residents), each with meter `i` installed on
    2025-01-01 (`two_zone(i)`: day 1000 and night 500, else total 1000). `register_labels`: the JSON of a
    two-zone meter's labels and of a one-zone meter's. Returns the district."""
    from accounts.models import District

    district = District.objects.create(code="BENCH", name="Bench", contact_phone="0 800 000 000")
    now = timezone.now()
    copy_rows(
        "accounts_personalaccount",
        [
            "id", "number", "district_id", "address", "holder_name", "category", "residents", "invoice_mode",
            "paper_copy", "premises_vacant", "is_active", "created_at", "updated_at",
        ],
        (
            (i, f"{5_000_000_000 + i}", district.pk, "вул. Тестова, 1, кв. 5", "Бенчмарк Б. Б.", "household", 2,
             invoice_mode, False, False, True, now, now)
            for i in range(1, accounts + 1)
        ),
    )  # fmt: skip
    two_zone_labels, one_zone_labels = register_labels
    copy_rows(
        "readings_meter",
        [
            "id", "account_id", "serial_number", "model_name", "zone_set", "register_labels", "register_digits",
            "multiplier", "installed_on", "is_smart", "install_total", "install_day", "install_night",
        ],
        (
            (i, i, f"B{i:09d}", "", "day+night" if two_zone(i) else "total",
             two_zone_labels if two_zone(i) else one_zone_labels, 6, 1, date(2025, 1, 1), False,
             None if two_zone(i) else 1000, 1000 if two_zone(i) else None, 500 if two_zone(i) else None)
            for i in range(1, accounts + 1)
        ),
    )  # fmt: skip
    return district
