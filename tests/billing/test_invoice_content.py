"""What an invoice prints, from plain rows: a reading split between tariff versions is one readings row."""

from datetime import date
from decimal import Decimal

from billing.invoices.content import ChargeRow, PaymentRow, _grouped_reading_rows, _reading_rows, invoice_content


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


def test_a_one_line_invoice_prints_the_row_the_grouping_gives():
    """Most invoices have one charge: `_reading_rows` builds its row directly; it must be the grouped path's
    row key for key and in the same key order (the stored JSON is the same text)."""
    previous = {(7, "day", date(2026, 10, 30)): 27900}
    labels = {(7, "day"): "1.8.2 / T22"}
    charges = [
        actual(97, "4.32", date(2026, 10, 30), date(2026, 11, 14), 1),  # a previous reading and a label
        actual(5, "4.32", date(2026, 9, 30), date(2026, 10, 30), 2),  # no previous reading known
        ChargeRow(3, 7, "02000007", "night", "average", 40, Decimal("4.32"), Decimal("172.80"), date(2026, 11, 1),
                  date(2026, 10, 31), date(2026, 11, 30), estimate_number=2),
        ChargeRow(4, 7, "02000007", "day", "reversal", -40, Decimal("4.32"), Decimal("-172.80"), date(2026, 11, 1),
                  date(2026, 10, 30), date(2026, 11, 30), reversed_month=date(2026, 10, 1)),
    ]  # fmt: skip
    for charge in charges:
        direct, grouped = _reading_rows([charge], previous, labels), _grouped_reading_rows([charge], previous, labels)
        assert [list(row.items()) for row in direct] == [list(row.items()) for row in grouped]
    assert _reading_rows(charges[:1], previous, labels)[0]["previous"] == 27900
