"""`import_tariffs` and `import_norms`: versioned prices and norms from CSV (DESIGN.md formats).

Same contract as every import (readings/imports/csvfile.py): every bad line is named with its column and
rule, and a file with any error changes nothing. Re-importing a version with the same value changes nothing;
a different value updates it in place unless a charge used it (then the line is refused).
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from billing.models import CATEGORY_FORMAT, Norm, Tariff
from billing.tariffs.selectors import norm_billed, tariff_billed
from readings.imports.csvfile import DUPLICATE_IN_FILE, INVALID_NUMBER, Cells, LineError, read_records
from readings.zones import ALL_ZONES

TARIFF_COLUMNS = ("category", "effective_from", "zone", "price")
NORM_COLUMNS = ("category", "effective_from", "kwh_per_resident")
CATEGORY = re.compile(CATEGORY_FORMAT)
BILLED_VERSION = "billed_version"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # versions stored before with the same value
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


def _versioned_import(
    source: bytes, columns, parse, duplicate_column: str, *, model, key_fields, value_field, billed
) -> ImportResult:
    """Parse every line (`parse(cells) -> (key, values)`), refuse the file on any error, else save each row.

    A version already stored with the same value is left alone (re-importing a file is a no-op); a changed
    value is refused when a charge used the version (`billed(key)`): billed prices and norms never change."""
    records, errors = read_records(source, columns)
    rows, seen = [], {}
    for record in records:
        cells = Cells(record, errors)
        key, values = parse(cells)
        if cells.ok and key in seen:
            cells.fail(duplicate_column, DUPLICATE_IN_FILE, f"this version is already on line {seen[key]}")
        if cells.ok:
            seen[key] = record.line
            stored = model.objects.filter(**dict(zip(key_fields, key, strict=True))).first()
            new = values[value_field]
            if stored is not None and getattr(stored, value_field) != new and billed(key):
                cells.fail(
                    value_field,
                    BILLED_VERSION,
                    # The file's own codes (household, half_peak), not the version's name for people.
                    f"{' '.join(map(str, key))} {getattr(stored, value_field)} has been billed at "
                    f"{getattr(stored, value_field)}; a billed version never changes "
                    f"(import a new version from a later effective_from)",
                )
            rows.append((key, values, stored))
    if errors:
        return ImportResult(errors=sorted(errors))
    result = ImportResult(errors=[])
    with transaction.atomic():
        for key, values, stored in rows:
            if stored is None:
                model.objects.create(**dict(zip(key_fields, key, strict=True)), **values)
                result.created += 1
            elif getattr(stored, value_field) != values[value_field]:
                setattr(stored, value_field, values[value_field])
                stored.save(update_fields=[value_field])
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def tariffs_import(*, source: bytes) -> ImportResult:
    def parse(cells):
        key = (_category(cells), cells.day("effective_from"), cells.choice("zone", ALL_ZONES))
        return key, {"price": _decimal(cells, "price", places=5, minimum=Decimal(0), positive=True)}

    def billed(key):
        category, effective_from, zone = key
        return tariff_billed(category=category, effective_from=effective_from, zone=zone)

    return _versioned_import(
        source,
        TARIFF_COLUMNS,
        parse,
        "zone",
        model=Tariff,
        key_fields=("category", "effective_from", "zone"),
        value_field="price",
        billed=billed,
    )


def norms_import(*, source: bytes) -> ImportResult:
    def parse(cells):
        key = (_category(cells), cells.day("effective_from"))
        return key, {
            "kwh_per_resident": _decimal(cells, "kwh_per_resident", places=2, minimum=Decimal(0), positive=False)
        }

    def billed(key):
        category, effective_from = key
        return norm_billed(category=category, effective_from=effective_from)

    return _versioned_import(
        source,
        NORM_COLUMNS,
        parse,
        "effective_from",
        model=Norm,
        key_fields=("category", "effective_from"),
        value_field="kwh_per_resident",
        billed=billed,
    )
