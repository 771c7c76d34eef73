"""`import_accounts`: districts, personal accounts and their meters from one CSV, created or updated in place.

One row per meter; an account with several meters has several rows that repeat the account's cells.
The whole file is checked first (cells, agreement between rows, the database's state), and only a
file without a single error is written, in one transaction, with a fixed number of queries.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Min

from accounts.models import District, InvoiceMode, PersonalAccount, WindowPolicy
from readings.imports.csvfile import (
    ACCOUNT_NUMBER,
    DUPLICATE_IN_FILE,
    METER_SERIAL,
    Cells,
    LineError,
    in_file_order,
    read_records,
)
from readings.models import Meter, Reading
from readings.validation import ZONE_UNKNOWN
from readings.zones import ALL_ZONES, DEFAULT_REGISTER_LABELS, ZONE_SETS

ACCOUNT_COLUMNS = (
    "account_number",
    "district_code",
    "district_name",
    "address",
    "holder_name",
    "category",
    "residents",
    "invoice_mode",
    "paper_copy",
    "meter_serial",
    "zones",
    "register_digits",
    "multiplier",
    "installed_on",
    *(f"install_{zone}" for zone in ALL_ZONES),
)

# The database's constraints, repeated here so that a bad cell is reported with its line, not crashed on.
DISTRICT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# DESIGN.md: districts created by the import get the Kyiv window (last 2 days + first 3 of the next month).
DEFAULT_WINDOW = {
    "window_open_month_offset": 0,
    "window_open_day": -2,
    "window_close_month_offset": 1,
    "window_close_day": 3,
    "window_policy": WindowPolicy.OPEN,
}

ACCOUNT_FIELDS = ("district_code", "address", "holder_name", "category", "residents", "invoice_mode", "paper_copy")
METER_FIELDS = ("zone_set", "register_digits", "multiplier", "installed_on", *(f"install_{zone}" for zone in ALL_ZONES))

ZONE_SET_LOCKED = "zone_set_locked"
METER_LOCKED = "meter_locked"
# What consumption is computed from: once a meter has readings these only change by a meter exchange.
LOCKED_AFTER_READINGS = {
    "register_digits": "register_digits",
    "multiplier": "multiplier",
    **{f"install_{zone}": f"install_{zone}" for zone in ALL_ZONES},
}
METER_ON_OTHER_ACCOUNT = "meter_on_other_account"
INSTALLED_AFTER_READINGS = "installed_after_readings"
CONFLICTS_WITH_LINE = "conflicts_with_line"
CHUNK = 5_000
INVOICE_MODES = tuple(InvoiceMode.values)


@dataclass(frozen=True)
class AccountRow:
    line: int
    account: dict  # number, district_code, address, holder_name, category, residents, invoice_mode, paper_copy
    district_name: str
    meter: dict  # serial_number, zone_set, register_digits, multiplier, installed_on, install_<zone>


@dataclass
class AccountsImportResult:
    errors: list[LineError] = field(default_factory=list)
    districts_created: int = 0
    districts_renamed: int = 0
    accounts_created: int = 0
    accounts_updated: int = 0
    accounts_unchanged: int = 0
    meters_created: int = 0
    meters_updated: int = 0
    meters_unchanged: int = 0


def accounts_import(*, source: bytes, now: datetime) -> AccountsImportResult:
    """Check the whole file, then write it in one transaction, or write nothing and return every error."""
    records, errors = read_records(source, ACCOUNT_COLUMNS)
    result = AccountsImportResult(errors=errors)
    rows = [row for row in (_parse(record, errors) for record in records) if row is not None]
    _check_rows_agree(rows, errors)
    with transaction.atomic():
        districts = _in_chunks(District.objects, "code", {row.account["district_code"] for row in rows})
        accounts = _in_chunks(PersonalAccount.objects, "number", {row.account["number"] for row in rows})
        # Locked so that no reading arrives between the zone-set check below and the update.
        meters = _in_chunks(
            Meter.objects.select_related("account").select_for_update(of=("self",)).order_by("serial_number"),
            "serial_number",
            {row.meter["serial_number"] for row in rows},
        )
        _check_against_database(rows, meters, errors)
        if errors:
            result.errors = in_file_order(errors, ACCOUNT_COLUMNS)
            return result
        _write(rows, districts, accounts, meters, now, result)
    return result


def _parse(record, errors: list[LineError]) -> AccountRow | None:
    cells = Cells(record, errors)
    account = {
        "number": cells.text("account_number", max_length=20, pattern=ACCOUNT_NUMBER, rule="4 to 20 digits"),
        "district_code": cells.text(
            "district_code", max_length=16, pattern=DISTRICT_CODE, rule="capital letters, digits, - or _"
        ),
        "address": cells.text("address", max_length=250),
        "holder_name": cells.text("holder_name", max_length=150),
        "category": cells.text("category", max_length=40, pattern=CATEGORY, rule="small letters, digits, - or _"),
        "residents": cells.integer("residents", minimum=1, maximum=32767),
        "invoice_mode": cells.choice("invoice_mode", INVOICE_MODES),
        "paper_copy": cells.boolean("paper_copy"),
    }
    district_name = cells.text("district_name", max_length=120)
    zone_set = cells.choice("zones", ZONE_SETS)
    digits = cells.integer("register_digits", minimum=4, maximum=9)
    meter = {
        "serial_number": cells.text("meter_serial", max_length=32, pattern=METER_SERIAL, rule="letters, digits or -"),
        "zone_set": zone_set,
        "register_digits": digits,
        "multiplier": cells.integer("multiplier", minimum=1, maximum=2_147_483_647),
        "installed_on": cells.day("installed_on"),
    }
    for zone in ALL_ZONES:
        column = f"install_{zone}"
        meter[column] = None
        if zone_set is None:
            continue
        if zone in ZONE_SETS[zone_set]:
            # A register with d digits shows at most 10^d - 1 (Meter.clean); 9 digits when digits are unknown.
            meter[column] = cells.integer(column, minimum=0, maximum=10 ** (digits or 9) - 1)
        elif record.cells[column] != "":
            cells.fail(column, ZONE_UNKNOWN, f"a {zone_set} meter has no {zone} register; leave the cell empty")
    if not cells.ok:
        return None
    return AccountRow(record.line, account, district_name, meter)


def _check_rows_agree(rows: list[AccountRow], errors: list[LineError]) -> None:
    """Rows of one account repeat its cells, rows of one district its name, and a meter appears once."""
    first_of_account: dict[str, AccountRow] = {}
    first_of_district: dict[str, AccountRow] = {}
    first_of_meter: dict[str, AccountRow] = {}
    for row in rows:
        number, code, serial = row.account["number"], row.account["district_code"], row.meter["serial_number"]
        earlier = first_of_meter.setdefault(serial, row)
        if earlier is not row:
            message = f"meter {serial} is already on line {earlier.line}"
            errors.append(LineError(row.line, "meter_serial", DUPLICATE_IN_FILE, message))
        earlier = first_of_district.setdefault(code, row)
        if earlier.district_name != row.district_name:
            message = f"district {code} is named {earlier.district_name!r} on line {earlier.line}"
            errors.append(LineError(row.line, "district_name", CONFLICTS_WITH_LINE, message))
        earlier = first_of_account.setdefault(number, row)
        for name in ACCOUNT_FIELDS:
            if earlier.account[name] != row.account[name]:
                message = f"account {number} has {earlier.account[name]!r} here on line {earlier.line}"
                errors.append(LineError(row.line, name, CONFLICTS_WITH_LINE, message))


def _in_chunks(queryset, key: str, wanted: set) -> dict:
    """Rows whose `key` is in `wanted`, in a few `IN` queries, by key."""
    found = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), CHUNK):
        for row in queryset.filter(**{f"{key}__in": ordered[start : start + CHUNK]}):
            found[getattr(row, key)] = row
    return found


def _check_against_database(rows: list[AccountRow], meters: dict[str, Meter], errors: list[LineError]) -> None:
    """A meter stays on its account, and keeps its zone set and installation date once it has readings."""
    readings = {}
    ids = sorted(meter.pk for meter in meters.values())
    for start in range(0, len(ids), CHUNK):
        stats = (
            Reading.objects.filter(meter_id__in=ids[start : start + CHUNK])
            .values("meter_id")
            .annotate(first_date=Min("reading_date"), count=Count("id"))
        )
        readings.update({stat["meter_id"]: stat for stat in stats})
    for row in rows:
        meter = meters.get(row.meter["serial_number"])
        if meter is None:
            continue
        if meter.account.number != row.account["number"]:
            message = f"meter {meter.serial_number} belongs to account {meter.account.number}; meters do not move"
            errors.append(LineError(row.line, "meter_serial", METER_ON_OTHER_ACCOUNT, message))
        stat = readings.get(meter.pk)
        if stat is None:
            continue
        if row.meter["zone_set"] != meter.zone_set:
            message = (
                f"meter {meter.serial_number} has {stat['count']} readings as {meter.zone_set}; its zones cannot "
                "change (a different meter is a meter exchange)"
            )
            errors.append(LineError(row.line, "zones", ZONE_SET_LOCKED, message))
        if row.meter["zone_set"] == meter.zone_set:
            for field, column in LOCKED_AFTER_READINGS.items():
                if row.meter[field] != getattr(meter, field):
                    message = (
                        f"meter {meter.serial_number} has {stat['count']} readings with {field} "
                        f"{getattr(meter, field)}; it cannot change to {row.meter[field]} (consumption and charges "
                        "were computed with it; a different meter is a meter exchange)"
                    )
                    errors.append(LineError(row.line, column, METER_LOCKED, message))
        if row.meter["installed_on"] > stat["first_date"]:
            message = f"meter {meter.serial_number} has a reading dated {stat['first_date']:%Y-%m-%d}, before this"
            errors.append(LineError(row.line, "installed_on", INSTALLED_AFTER_READINGS, message))


def _write(rows, districts, accounts, meters, now: datetime, result: AccountsImportResult) -> None:
    names = {row.account["district_code"]: row.district_name for row in rows}
    new_districts = [
        District(code=code, name=name, **DEFAULT_WINDOW) for code, name in names.items() if code not in districts
    ]
    District.objects.bulk_create(new_districts)
    result.districts_created = len(new_districts)
    renamed = [district for code, district in districts.items() if district.name != names[code]]
    for district in renamed:
        district.name = names[district.code]
    District.objects.bulk_update(renamed, ["name"])
    result.districts_renamed = len(renamed)
    districts.update({district.code: district for district in new_districts})

    account_cells = {row.account["number"]: row.account for row in rows}
    created, changed = [], []
    for number, cells in account_cells.items():
        values = {name: cells[name] for name in ACCOUNT_FIELDS if name != "district_code"}
        values["district_id"] = districts[cells["district_code"]].pk
        account = accounts.get(number)
        if account is None:
            created.append(PersonalAccount(number=number, **values))
        elif _assign(account, values):
            account.updated_at = now  # bulk_update does not touch auto_now fields
            changed.append(account)
    PersonalAccount.objects.bulk_create(created, batch_size=CHUNK)
    PersonalAccount.objects.bulk_update(changed, [*ACCOUNT_FIELDS[1:], "district", "updated_at"], batch_size=CHUNK)
    accounts.update({account.number: account for account in created})
    result.accounts_created, result.accounts_updated = len(created), len(changed)
    result.accounts_unchanged = len(account_cells) - len(created) - len(changed)

    created, changed = [], []
    for row in rows:
        values = {name: row.meter[name] for name in METER_FIELDS}
        meter = meters.get(row.meter["serial_number"])
        if meter is None:
            labels = DEFAULT_REGISTER_LABELS[values["zone_set"]]
            account = accounts[row.account["number"]]
            serial = row.meter["serial_number"]
            created.append(Meter(serial_number=serial, account=account, register_labels=labels, **values))
            continue
        old_zone_set = meter.zone_set
        if _assign(meter, values):
            if meter.zone_set != old_zone_set:  # allowed only without readings: the old labels no longer fit
                meter.register_labels = DEFAULT_REGISTER_LABELS[meter.zone_set]
            changed.append(meter)
    Meter.objects.bulk_create(created, batch_size=CHUNK)
    Meter.objects.bulk_update(changed, [*METER_FIELDS, "register_labels"], batch_size=CHUNK)
    result.meters_created, result.meters_updated = len(created), len(changed)
    result.meters_unchanged = len(rows) - len(created) - len(changed)


def _assign(instance, values: dict) -> bool:
    """Set the values; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
