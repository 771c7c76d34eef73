"""The run writes its invoices by COPY (billing/invoices/writes.py), not through Django's model: every column
it stores must be what Django's ORM stores for the same row, whatever the names, addresses and JSON hold
(COPY's text format escapes backslashes, tabs and line ends; the JSON is orjson's, Django's is json.dumps')."""

import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from billing.invoices.writes import INVOICE_COLUMNS, insert_invoices
from billing.models import BillingRun, Invoice, PrintBatch
from tests.factories import PersonalAccountFactory, UserFactory

D = datetime.date
NOW = timezone.make_aware(datetime.datetime(2026, 11, 4, 2, 0, 5, 123456))
# Every character COPY's text format escapes, and what it must leave alone: quotes, Cyrillic, U+02BC, a form feed.
TRICKY = 'Шевчукʼ "Тарас" O\'Brien \\ back\\slash\tтаб\nрядок\r\nкінець\x0c'


def invoice_rows(account, run, batch, user) -> list[dict]:
    supplier = {"name": 'ТОВ "Енергія\\Збут"', "iban": "UA213223130000026007233566001", "note": TRICKY}
    tricky = {
        "number": "\\1\t\"ʼЇ\n\r'",  # max_length 40: the escapes without the rest
        "district_id": account.district_id,
        "year": 2026,
        "sequence": 1,
        "account_id": account.pk,
        "kind": "self",
        "status": "void",
        "billing_month": D(2026, 10, 1),
        "issued_on": D(2026, 11, 4),
        "due_on": D(2026, 11, 24),
        "issued_at": NOW,
        "currency": "UAH",
        "opening_balance": Decimal("-12.5"),
        "charges_total": Decimal("864.0"),  # one decimal place: numeric(12, 2) pads it
        "payments_total": Decimal("0"),
        "amount_due": Decimal("851.50"),
        "paid_on": D(2026, 11, 5),
        "language": "uk",
        "account_number": "50\\0\t1\n",
        "holder_name": TRICKY,
        "address": f"м. Київ, вул. Об\\єднана\t12\nкв. 3\r{TRICKY}",
        "district_name": f"Київська філія {TRICKY}",
        "district_phone": "+380 44 \\ 000\t00 00",
        "supplier": supplier,
        "content": {
            "schema": 1,
            "lines": [
                {"label": 'T1 "день" \\ кінець', "volume": -40, "amount": "-172.80", "estimate_number": None},
                {"label": TRICKY, "volume": 12345678901, "amount": "0.00", "reversed_month": "2026-10-01"},
            ],
            "payments": [{"paid_on": "2026-11-03", "amount": "100.00", "reference": 'ʼ\\"\t'}],
        },
        "qr_data": f"BCD\n002\n1\nUCT\n\n{TRICKY}",
        "paper_copy": True,
        "replaces_id": None,
        "cancels_id": None,
        "voided_at": NOW + datetime.timedelta(hours=1),
        "void_reason": TRICKY,
        "pdf": "invoices/a\\b.pdf",
        "pdf_rendered_at": NOW + datetime.timedelta(minutes=3),
        "print_batch_id": batch.pk,
        "run_id": run.pk,
        "created_by_id": user.pk,
    }
    plain = {
        **tricky,
        "number": "2",
        "sequence": 2,
        "status": "issued",
        "opening_balance": Decimal("0.00"),
        "charges_total": Decimal("-172.80"),
        "payments_total": Decimal("-0.01"),
        "amount_due": Decimal("-172.79"),
        "paid_on": None,
        "language": "en",
        "holder_name": "Петренко Олена",
        "district_phone": "",
        "content": {"schema": 1, "readings": [], "lines": [], "months": [], "payments": []},
        "qr_data": "",
        "paper_copy": False,
        "voided_at": None,
        "void_reason": "",
        "pdf": "",
        "pdf_rendered_at": None,
        "print_batch_id": None,
        "run_id": None,
        "created_by_id": None,
    }
    return [tricky, plain]


def stored(ids: list[int]) -> list[dict]:
    """Every column but the id as PostgreSQL prints it (jsonb in its own normal form), in the order of ids."""
    columns = ", ".join(f"{Invoice._meta.get_field(name).column}::text" for name in INVOICE_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM billing_invoice WHERE id = ANY(%s)", [ids])
        by_id = {pk: dict(zip(INVOICE_COLUMNS, values, strict=True)) for pk, *values in cursor.fetchall()}
    return [by_id[pk] for pk in ids]


def test_the_copy_stores_every_column_as_the_orm_does(postgresql_only, kyiv):
    account = PersonalAccountFactory(district=kyiv)
    run = BillingRun.objects.create(
        month=D(2026, 10, 1), pass_name="final", run_date=D(2026, 11, 4), chunk_size=100, started_at=NOW
    )
    batch, user = PrintBatch.objects.create(district=kyiv), UserFactory()
    orm_rows, copy_rows = invoice_rows(account, run, batch, user), invoice_rows(account, run, batch, user)
    for row in copy_rows:  # the series' numbers are unique: the second copy of the rows takes others
        row["number"], row["sequence"] = f"B{row['number']}", row["sequence"] + 100
    assert all(sorted(row) == sorted(INVOICE_COLUMNS) for row in orm_rows)

    orm_ids = [invoice.pk for invoice in Invoice.objects.bulk_create([Invoice(**row) for row in orm_rows])]
    copy_ids = insert_invoices(copy_rows, [])

    by_orm, by_copy = stored(orm_ids), stored(copy_ids)
    for row in by_copy:
        row["number"], row["sequence"] = row["number"].removeprefix("B"), str(int(row["sequence"]) - 100)
    assert by_copy == by_orm
    # And what the ORM reads back is the row as built: nothing escaped twice or lost on either side.
    tricky = Invoice.objects.get(pk=copy_ids[0])
    assert (tricky.holder_name, tricky.address, tricky.void_reason) == (
        TRICKY,
        orm_rows[0]["address"],
        TRICKY,
    )
    assert (tricky.content, tricky.supplier) == (orm_rows[0]["content"], orm_rows[0]["supplier"])
    assert tricky.charges_total == Decimal("864.00") and tricky.opening_balance == Decimal("-12.50")
    assert (tricky.issued_at, tricky.voided_at) == (NOW, NOW + datetime.timedelta(hours=1))
    assert Invoice.objects.get(pk=copy_ids[1]).paid_on is None
