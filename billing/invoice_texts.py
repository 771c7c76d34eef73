"""Texts printed on invoices and in their payment QR code that must not depend on the active language."""

from datetime import date

# The payment purpose is read by the bank and the supplier's accounting, so it is always in the
# supplier's working language (Ukrainian), whatever language the customer reads the invoice in.
MONTHS_UK = (
    "січень", "лютий", "березень", "квітень", "травень", "червень",
    "липень", "серпень", "вересень", "жовтень", "листопад", "грудень",
)  # fmt: skip


def payment_purpose(*, account_number: str, month: date) -> str:
    return f"Оплата за електроенергію, о/р {account_number}, {MONTHS_UK[month.month - 1]} {month.year}"
