"""`import_tariffs` and `import_norms`: versioned prices and norms from CSV (DESIGN.md formats).

Same contract as every import (readings/imports/csvfile.py): every bad line is named with its column and
rule, and a file with any error changes nothing. Re-importing a version updates it in place.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from billing.models import CATEGORY_FORMAT, Norm, Tariff
from readings.imports.csvfile import DUPLICATE_IN_FILE, INVALID_NUMBER, Cells, LineError, read_records
from readings.zones import ALL_ZONES

TARIFF_COLUMNS = ("category", "effective_from", "zone", "price")
NORM_COLUMNS = ("category", "effective_from", "kwh_per_resident")
CATEGORY = re.compile(CATEGORY_FORMAT)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[LineError] | None = None


def _decimal(cells: Cells, column: str, *, places: int, minimum: Decimal, positive: bool) -> Decimal | None:
    raw = cells.record.cells[column]
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if (
        value is None
        or not value.is_finite()
        or value < minimum
        or (positive and value == 0)
        or -value.as_tuple().exponent > places
    ):
        rule = "a positive number" if positive else "a number not below 0"
        cells.fail(column, INVALID_NUMBER, f"{raw!r} is not {rule} with at most {places} decimal places (e.g. 4.32)")
        return None
    return value


def _category(cells: Cells) -> str | None:
    return cells.text(
        "category", max_length=40, pattern=CATEGORY, rule="a category code in lower case (e.g. household)"
    )


def _versioned_import(source: bytes, columns, parse, duplicate_column: str, save) -> ImportResult:
    """Parse every line (`parse(cells) -> (key, values)`), refuse the file on any error, else save each row."""
    records, errors = read_records(source, columns)
    rows, seen = [], {}
    for record in records:
        cells = Cells(record, errors)
        key, values = parse(cells)
        if cells.ok and key in seen:
            cells.fail(duplicate_column, DUPLICATE_IN_FILE, f"this version is already on line {seen[key]}")
        if cells.ok:
            seen[key] = record.line
            rows.append((key, values))
    if errors:
        return ImportResult(errors=sorted(errors))
    result = ImportResult(errors=[])
    with transaction.atomic():
        for key, values in rows:
            created = save(key, values)
            result.created += created
            result.updated += not created
    return result


def tariffs_import(*, source: bytes) -> ImportResult:
    def parse(cells):
        key = (_category(cells), cells.day("effective_from"), cells.choice("zone", ALL_ZONES))
        return key, {"price": _decimal(cells, "price", places=5, minimum=Decimal(0), positive=True)}

    def save(key, values):
        category, effective_from, zone = key
        return Tariff.objects.update_or_create(
            category=category, effective_from=effective_from, zone=zone, defaults=values
        )[1]

    return _versioned_import(source, TARIFF_COLUMNS, parse, "zone", save)


def norms_import(*, source: bytes) -> ImportResult:
    def parse(cells):
        key = (_category(cells), cells.day("effective_from"))
        return key, {
            "kwh_per_resident": _decimal(cells, "kwh_per_resident", places=2, minimum=Decimal(0), positive=False)
        }

    def save(key, values):
        category, effective_from = key
        return Norm.objects.update_or_create(category=category, effective_from=effective_from, defaults=values)[1]

    return _versioned_import(source, NORM_COLUMNS, parse, "effective_from", save)
