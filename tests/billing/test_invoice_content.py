"""What an invoice prints, from plain rows: a reading split between tariff versions is one readings row."""

from datetime import date
from decimal import Decimal

from billing.invoices.content import ChargeRow, PaymentRow, invoice_content


def actual(volume, price, start, end, charge_id):
    amount = (Decimal(volume) * Decimal(price)).quantize(Decimal("0.01"))
    return ChargeRow(
        charge_id, 7, "02000007", "day", "actual", volume, Decimal(price), amount, date(2026, 11, 1), start, end,
        reading_value=28100, reading_id=55,
    )  # fmt: skip


def test_a_reading_split_at_a_price_change_is_one_row_from_the_previous_reading():
    charges = [
        actual(97, "4.32", date(2026, 10, 30), date(2026, 11, 14), 1),
        actual(103, "4.80", date(2026, 11, 14), date(2026, 11, 30), 2),
    ]
    content, charged, paid = invoice_content(
        charges=charges,
        payments=[PaymentRow(9, date(2026, 11, 10), Decimal("100.00"), "P-1")],
        previous_values={(7, "day", date(2026, 10, 30)): 27900},
        labels={(7, "day"): "1.8.2 / T22"},
    )
    (row,) = content["readings"]
    assert (row["previous"], row["current"], row["volume"]) == (27900, 28100, 200)
    assert (row["from"], row["to"], row["label"]) == ("2026-10-30", "2026-11-30", "1.8.2 / T22")
    assert [line["price"] for line in content["lines"]] == ["4.32", "4.80"]
    assert (charged, paid) == (Decimal("419.04") + Decimal("494.40"), Decimal("100.00"))
    assert content["months"] == [{"month": "2026-11-01", "amount": "913.44"}]
