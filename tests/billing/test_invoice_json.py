"""An invoice's JSON is written by orjson (billing/invoices/writes.py): what is stored parses to exactly the
content the run built, and a value JSON has no type for fails the issue instead of being stored differently."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from billing.invoices.content import ChargeRow, PaymentRow, invoice_content
from billing.invoices.writes import invoice_json


def test_a_contents_json_parses_back_to_the_content_json_dumps_gave():
    charges = [
        ChargeRow(1, 7, "02\\000007", "day", "actual", 97, Decimal("4.32"), Decimal("419.04"), date(2026, 11, 1),
                  date(2026, 10, 30), date(2026, 11, 30), reading_value=28100, reading_id=55),
        ChargeRow(2, 7, "02\\000007", "night", "reversal", -40, Decimal("4.32"), Decimal("-172.80"),
                  date(2026, 11, 1), date(2026, 10, 30), date(2026, 11, 30), reversed_month=date(2026, 10, 1)),
    ]  # fmt: skip
    content, _charged, _paid = invoice_content(
        charges=charges,
        payments=[PaymentRow(9, date(2026, 11, 10), Decimal("100.00"), 'Оплата "ПриватБанк"\tкомʼюнальні\\n')],
        previous_values={(7, "day", date(2026, 10, 30)): 27900},
        labels={(7, "day"): 'Т1 "день"\r\n\\'},
    )

    text = invoice_json(content)

    assert json.loads(text) == json.loads(json.dumps(content, ensure_ascii=False)) == content
    assert "ʼ" in text and "Оплата" in text  # UTF-8 as it is, not \\u escapes


@pytest.mark.parametrize("value", [date(2026, 11, 1), datetime(2026, 11, 1, 2, 0), Decimal("4.32")])
def test_a_value_json_has_no_type_for_fails_loudly(value):
    with pytest.raises(TypeError):
        invoice_json({"lines": [{"month": value}]})
