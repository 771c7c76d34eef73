"""The rows an invoice prints, from its stored content (pure, no Django): the charge lines by billing month
and meter, each actual line with the reading it was billed by. `render` adds the texts in the invoice's
language; keeping the grouping pure lets it be tested with plain dicts."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from billing.invoices.content import ZONE_ORDER

BASIS_ORDER = {"actual": 0, "average": 1, "norm": 1, "reversal": 2}
READING_KEYS = ("month", "serial", "zone", "from", "to", "previous", "current")


@dataclass
class ChargeLine:
    """One printed row: a charge line, with the meter reading it was billed by (actual lines)."""

    serial: str
    zone: str
    label: str
    basis: str
    first_day: date  # the days the line charges, both included
    last_day: date
    volume: int
    price: Decimal
    amount: Decimal
    estimate_number: int | None
    reversed_month: date | None
    previous: int | None = None
    current: int | None = None
    # The reading's cells span every line of one reading (a volume split between tariff versions):
    # the first line carries them with this rowspan, the others 0 (no cells).
    reading_rows: int = 1


@dataclass
class MeterCharges:
    """The lines of one meter in one billing month."""

    month: date
    serial: str
    lines: list[ChargeLine] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def actual_readings(rows: list[dict]) -> list[dict]:
    """The readings behind the actual lines, one per month, meter, zone and reading.

    A stored row may cover only the part of a reading's span priced at one tariff version (the row of
    the later part then names a wrong previous value): contiguous rows of the same month, meter, zone
    and current value are one reading, its previous value the first row's.
    """
    actual = sorted(
        (row for row in rows if row.get("basis") == "actual"),
        key=lambda row: (row["month"], row["serial"], ZONE_ORDER.get(row["zone"], 9), row["from"]),
    )
    merged: list[dict] = []
    for row in actual:
        last = merged[-1] if merged else None
        if (
            last is not None
            and _reading_key(last) == _reading_key(row)
            and last["current"] == row["current"]
            and last["to"] == row["from"]
        ):
            last["to"] = row["to"]
        else:
            merged.append({key: row.get(key) for key in READING_KEYS})
    return merged


def _reading_key(row: dict) -> tuple:
    return row["month"], row["serial"], row["zone"]


def charge_groups(
    content: dict, *, line_class: type[ChargeLine] = ChargeLine, group_class: type[MeterCharges] = MeterCharges
) -> list[MeterCharges]:
    """The charge lines by billing month and meter, each actual line with its reading (built as
    `line_class` and `group_class`: `render` passes the classes that add the printed texts)."""
    readings = actual_readings(content.get("readings", []))
    groups: dict[tuple[str, str], MeterCharges] = {}
    # The last keys only break ties, so that the same invoice prints its lines in the same order whatever
    # order the database returned its charges in (the two reversal lines of an estimate split at a price
    # change share their span, and printed in PostgreSQL's order on one machine and SQLite's on another).
    lines = sorted(
        content.get("lines", []),
        key=lambda line: (
            line["month"],
            line["serial"],
            BASIS_ORDER.get(line["basis"], 3),
            ZONE_ORDER.get(line["zone"], 9),
            line["from"],
            line["to"],
            Decimal(line["price"]),
            Decimal(line["amount"]),
        ),
    )
    head, head_reading = None, None  # the line that carries the current reading's cells, and that reading
    for row in lines:
        group = groups.get((row["month"], row["serial"]))
        if group is None:
            group = groups[(row["month"], row["serial"])] = group_class(day(row["month"]), row["serial"])
            head, head_reading = None, None
        line = line_class(
            serial=row["serial"],
            zone=row["zone"],
            label=row.get("label", ""),
            basis=row["basis"],
            # Spans are stored half-open (the day of the previous reading excluded): print the days charged.
            first_day=day(row["from"]) + timedelta(days=1),
            last_day=day(row["to"]),
            volume=row["volume"],
            price=Decimal(row["price"]),
            amount=Decimal(row["amount"]),
            estimate_number=row.get("estimate_number"),
            reversed_month=day(row.get("reversed_month")),
        )
        reading = None
        if line.basis == "actual":
            reading = next(
                (
                    reading
                    for reading in readings
                    if _reading_key(reading) == _reading_key(row)
                    and reading["from"] <= row["from"]
                    and row["to"] <= reading["to"]
                ),
                None,
            )
        if reading is not None and reading is head_reading:
            head.reading_rows += 1
            line.reading_rows = 0
        elif reading is not None:
            line.previous, line.current = reading["previous"], reading["current"]
            head, head_reading = line, reading
        else:
            head, head_reading = None, None
        group.lines.append(line)
    return list(groups.values())
