"""The strict amount parser: a table of what statements write, and a property test (nothing crashes it;
nothing but ASCII digits with one separator is a number)."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.models import Payment
from billing.payments.amounts import (
    AMOUNT_NOT_A_NUMBER,
    AMOUNT_NOT_POSITIVE,
    AMOUNT_REQUIRED,
    AMOUNT_TOO_LARGE,
    AMOUNT_TOO_MANY_DECIMALS,
    MAXIMUM,
    AmountError,
    parse_amount,
)
from tests.factories import PersonalAccountFactory


@pytest.mark.parametrize(
    ("text", "separator", "amount"),
    [
        ("751.68", ".", "751.68"),
        ("751,68", ",", "751.68"),
        ("100", ".", "100.00"),
        ("100.5", ".", "100.50"),
        ("0.01", ".", "0.01"),
        (" 42.00 ", ".", "42.00"),  # spreadsheet padding
        ("007.10", ".", "7.10"),
        ("1000000.00", ".", "1000000.00"),  # the maximum itself
    ],
)
def test_amounts_as_statements_write_them(text, separator, amount):
    assert parse_amount(text, decimal_separator=separator) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "separator", "code"),
    [
        ("", ".", AMOUNT_REQUIRED),
        ("   ", ".", AMOUNT_REQUIRED),
        ("1e3", ".", AMOUNT_NOT_A_NUMBER),  # Decimal() books it as 1,000.00
        ("1E3", ".", AMOUNT_NOT_A_NUMBER),
        ("١٠٠", ".", AMOUNT_NOT_A_NUMBER),  # Arabic-Indic 100
        ("１００", ".", AMOUNT_NOT_A_NUMBER),  # full-width 100
        ("NaN", ".", AMOUNT_NOT_A_NUMBER),
        ("Infinity", ".", AMOUNT_NOT_A_NUMBER),
        ("1_000", ".", AMOUNT_NOT_A_NUMBER),
        ("1 000.00", ".", AMOUNT_NOT_A_NUMBER),
        ("1,000.00", ".", AMOUNT_NOT_A_NUMBER),
        ("751,68", ".", AMOUNT_NOT_A_NUMBER),  # a comma where the format has a point
        ("751.68", ",", AMOUNT_NOT_A_NUMBER),
        ("1.2.3", ".", AMOUNT_NOT_A_NUMBER),
        (".5", ".", AMOUNT_NOT_A_NUMBER),
        ("5.", ".", AMOUNT_NOT_A_NUMBER),
        ("+5", ".", AMOUNT_NOT_A_NUMBER),
        ("-5", ".", AMOUNT_NOT_A_NUMBER),
        ("1.234", ".", AMOUNT_TOO_MANY_DECIMALS),
        ("0", ".", AMOUNT_NOT_POSITIVE),
        ("0.00", ".", AMOUNT_NOT_POSITIVE),
        ("10000000000", ".", AMOUNT_TOO_LARGE),  # 10^10: a traceback before
        ("1000000.01", ".", AMOUNT_TOO_LARGE),
    ],
)
def test_what_is_not_an_amount_is_refused_with_its_rule(text, separator, code):
    with pytest.raises(AmountError) as refused:
        parse_amount(text, decimal_separator=separator)
    assert refused.value.code == code
    assert refused.value.message  # the importer shows it next to the line and field


def test_a_huge_cell_is_quoted_short_in_the_message():
    with pytest.raises(AmountError) as refused:
        parse_amount("9" * 100_000)
    assert refused.value.code == AMOUNT_TOO_LARGE
    assert len(refused.value.message) < 120


ASCII_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")


@settings(max_examples=400, deadline=None)
@given(text=st.text(), separator=st.sampled_from(".,"))
def test_no_input_crashes_the_parser_and_only_ascii_digits_are_numbers(text, separator):
    try:
        amount = parse_amount(text, decimal_separator=separator)
    except AmountError as refused:
        assert refused.code and refused.message
        return
    stripped = text.strip(" \t").replace(separator, ".")
    assert ASCII_AMOUNT.match(stripped), text
    assert Decimal(stripped) == amount
    assert Decimal("0") < amount <= MAXIMUM
    assert amount.as_tuple().exponent == -2


@settings(max_examples=200, deadline=None)
@given(cents=st.integers(min_value=1, max_value=int(MAXIMUM * 100)), separator=st.sampled_from(".,"))
def test_every_amount_written_with_two_decimals_reads_back(cents, separator):
    written = f"{cents // 100}{separator}{cents % 100:02d}"
    assert parse_amount(written, decimal_separator=separator) == Decimal(cents) / 100


def test_the_csv_import_refuses_what_decimal_would_have_booked(tmp_path, kyiv):
    """`1e3`, Arabic-Indic digits and 10^10: each named by line, field and rule; nothing is booked."""
    PersonalAccountFactory(district=kyiv, number="1000000001")
    path = tmp_path / "statement.csv"
    path.write_text(
        "account_number,paid_on,amount,reference\n"
        "1000000001,2026-11-10,1e3,A\n"
        "1000000001,2026-11-10,١٠٠,B\n"
        "1000000001,2026-11-10,10000000000,C\n"
        "1000000001,2026-11-10,12.50,D\n",
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_payments", str(path), stdout=io.StringIO(), stderr=err)
    report = err.getvalue()
    assert "line 2, amount: '1e3' is not an amount" in report and "[amount_not_a_number]" in report
    assert "line 3, amount: '١٠٠' is not an amount" in report
    assert "line 4, amount: '10000000000' is above the maximum of 1000000.00 [amount_too_large]" in report
    assert "line 5" not in report
    assert not Payment.objects.exists()
