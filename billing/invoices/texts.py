"""Texts printed on invoices and in their payment QR code that must not depend on the active language."""

from datetime import date

# The payment purpose is read by the bank and the supplier's accounting, so it is always in the
# supplier's working language (Ukrainian for UAH, Russian for RUB), whatever language the customer reads.
MONTHS_UK = (
    "січень", "лютий", "березень", "квітень", "травень", "червень",
    "липень", "серпень", "вересень", "жовтень", "листопад", "грудень",
)  # fmt: skip


MONTHS_RU = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


def payment_purpose(*, account_number: str, month: date, currency: str = "UAH") -> str:
    if currency == "RUB":  # the wording of GOST R 56042-2014's utility examples
        return f"Оплата электроэнергии за {MONTHS_RU[month.month - 1]} {month.year}, л/с {account_number}"
    return f"Оплата за електроенергію, о/р {account_number}, {MONTHS_UK[month.month - 1]} {month.year}"
