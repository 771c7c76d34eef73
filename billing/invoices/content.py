"""What an invoice prints, assembled from plain rows (no Django): readings per zone, charge lines, payments.

The result is stored on the invoice as JSON when it is issued, so the invoice renders the same forever,
whatever happens to meters, tariffs or readings later. Texts are not stored: the template translates
the codes (basis, zone) into the invoice's language.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from billing.money import CENT

ZERO = Decimal("0")
ZONE_ORDER = {"total": 0, "day": 1, "peak": 2, "half_peak": 3, "night": 4}  # as displays list them


class ChargeRow(NamedTuple):  # a named tuple: built for every pending charge of a run, ten times cheaper
    charge_id: int
    meter_id: int
    serial: str
    zone: str
    basis: str
    volume: int
    price: Decimal
    amount: Decimal
    billing_month: date
    span_start: date
    span_end: date
    reading_value: int | None = None  # R's value of this zone, for actual charges
    reading_id: int | None = None
    estimate_number: int | None = None
    reversed_month: date | None = None  # for a reversal: the month of the estimate it reverses


class PaymentRow(NamedTuple):
    payment_id: int
    paid_on: date
    amount: Decimal
    reference: str


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _reading_rows(charges: list[ChargeRow], previous_values: dict, labels: dict) -> list[dict]:
    """One row per meter, zone and basis group: previous and current values for actual, volumes otherwise."""
    if len(charges) == 1:  # most invoices: one line, nothing to group or sort (the same row as below)
        charge = charges[0]
        return [
            {
                "serial": charge.serial,
                "zone": charge.zone,
                "label": labels.get((charge.meter_id, charge.zone), ""),
                "basis": charge.basis,
                "month": charge.billing_month.isoformat(),
                "from": charge.span_start.isoformat(),
                "to": charge.span_end.isoformat(),
                "current": charge.reading_value,
                "volume": charge.volume,
                "estimate_number": charge.estimate_number,
                "reversed_month": _iso(charge.reversed_month),
                "previous": previous_values.get((charge.meter_id, charge.zone, charge.span_start))
                if charge.basis == "actual"
                else None,
            }
        ]
    return _grouped_reading_rows(charges, previous_values, labels)


def _grouped_reading_rows(charges: list[ChargeRow], previous_values: dict, labels: dict) -> list[dict]:
    groups: dict[tuple, dict] = {}
    for charge in charges:
        # A reading or an estimate split between tariff versions is several charge rows but one line here.
        if charge.basis == "actual":
            part = charge.reading_id
        elif charge.basis == "reversal":
            part = charge.reversed_month
        else:
            part = None
        key = (charge.meter_id, charge.zone, charge.basis, charge.billing_month, part)
        row = groups.get(key)
        if row is None:
            groups[key] = {
                "serial": charge.serial,
                "zone": charge.zone,
                "label": labels.get((charge.meter_id, charge.zone), ""),
                "basis": charge.basis,
                "month": charge.billing_month.isoformat(),
                "from": charge.span_start,
                "to": charge.span_end.isoformat(),
                "current": charge.reading_value,
                "volume": charge.volume,
                "estimate_number": charge.estimate_number,
                "reversed_month": _iso(charge.reversed_month),
            }
        else:
            row["volume"] += charge.volume
            row["from"] = min(row["from"], charge.span_start)
            row["to"] = max(row["to"], charge.span_end.isoformat())
    rows = []
    for (meter_id, zone, basis, _month, _end), row in groups.items():
        start = row["from"]
        row["previous"] = previous_values.get((meter_id, zone, start)) if basis == "actual" else None
        row["from"] = start.isoformat()
        rows.append(row)
    if len(rows) > 1:
        rows.sort(
            key=lambda row: (row["month"], row["serial"], row["basis"] == "reversal", ZONE_ORDER.get(row["zone"], 9))
        )
    return rows


# The layout of `Invoice.content` (keys and their meaning), stored in it as "schema". A change of layout
# gets the next number and readers handle every number ever issued: old invoices are never rewritten.
# Invoices issued before the number was stored have no "schema" key and the layout of schema 1.
CONTENT_SCHEMA = 1


def _line_order(charge: ChargeRow) -> tuple:
    return (
        charge.billing_month,
        charge.serial,
        charge.basis == "reversal",
        ZONE_ORDER.get(charge.zone, 9),
        charge.span_start,
    )


def invoice_content(
    *,
    charges: list[ChargeRow],
    payments: list[PaymentRow],
    previous_values: dict[tuple[int, str, date], int],
    labels: dict[tuple[int, str], str],
) -> tuple[dict, Decimal, Decimal]:
    """The invoice's JSON content and its charges and payments totals (sums of the rounded lines).

    Called for every invoice of a run (tens of thousands a minute), so written as one plain loop."""
    lines = []
    by_month: dict[str, Decimal] = {}
    for charge in sorted(charges, key=_line_order) if len(charges) > 1 else charges:
        month = charge.billing_month.isoformat()
        lines.append(
            {
                "serial": charge.serial,
                "zone": charge.zone,
                "label": labels.get((charge.meter_id, charge.zone), ""),
                "basis": charge.basis,
                "volume": charge.volume,
                "price": str(charge.price),
                "amount": str(charge.amount),
                "month": month,
                "from": charge.span_start.isoformat(),
                "to": charge.span_end.isoformat(),
                "estimate_number": charge.estimate_number,
                "reversed_month": charge.reversed_month.isoformat() if charge.reversed_month else None,
            }
        )
        by_month[month] = by_month[month] + charge.amount if month in by_month else charge.amount
    # round_money's rule (half up to the kopeck) on Decimals, without its checks: every amount here is a
    # Decimal read from a money column.
    content = {
        "schema": CONTENT_SCHEMA,
        "readings": _reading_rows(charges, previous_values, labels),
        "lines": lines,
        "months": [
            {"month": month, "amount": str(total.quantize(CENT, ROUND_HALF_UP))}
            for month, total in (sorted(by_month.items()) if len(by_month) > 1 else by_month.items())
        ],
        "payments": [
            {"paid_on": payment.paid_on.isoformat(), "amount": str(payment.amount), "reference": payment.reference}
            for payment in (
                sorted(payments, key=lambda p: (p.paid_on, p.payment_id)) if len(payments) > 1 else payments
            )
        ],
    }
    charges_total = sum(by_month.values(), ZERO).quantize(CENT, ROUND_HALF_UP)
    payments_total = (sum([payment.amount for payment in payments], ZERO) if payments else ZERO).quantize(
        CENT, ROUND_HALF_UP
    )
    return content, charges_total, payments_total


def cancellation_content(original: dict, *, cancels: str) -> dict:
    """The content of a cancellation: the original's lines, month totals and payments with their signs
    flipped (volumes and money), its readings as they were, and the number it cancels."""

    def negated(value: str) -> str:
        return str(-Decimal(value))

    return {
        "schema": CONTENT_SCHEMA,
        "cancels": cancels,
        "readings": original.get("readings", []),
        "lines": [
            {**line, "volume": -line["volume"], "amount": negated(line["amount"])} for line in original.get("lines", [])
        ],
        "months": [{**row, "amount": negated(row["amount"])} for row in original.get("months", [])],
        "payments": [{**row, "amount": negated(row["amount"])} for row in original.get("payments", [])],
    }
