"""import_readings and import_accounts: one table row per rule, whole files that change nothing on any error,
re-imports, corrections, review, and the commands' exit codes. Round trips and properties are in
test_imports_roundtrip.py."""

import codecs
import csv
import gc
import io
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.models import District, PersonalAccount
from readings.imports import accounts as account_rules
from readings.imports import csvfile
from readings.imports import readings as reading_rules
from readings.imports.accounts import ACCOUNT_COLUMNS, accounts_import
from readings.imports.readings import READING_COLUMNS, readings_import
from readings.models import Channel, ClosedMonth, Meter, Reading, ReadingStatus
from readings.validation import (
    DATE_BEFORE_INSTALLATION,
    DATE_BEFORE_PREVIOUS,
    DATE_IN_FUTURE,
    LOWER_THAN_PREVIOUS,
    METER_INACTIVE,
    MONTH_CLOSED,
    NOT_A_NUMBER,
    TOO_MANY_DIGITS,
    ZONE_MISSING,
    ZONE_UNKNOWN,
)
from readings.zones import DEFAULT_REGISTER_LABELS, THREE_ZONE, TWO_ZONE
from tests.factories import DistrictFactory, MeterFactory, ReadingFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 15)
NOW = timezone.make_aware(datetime(2025, 3, 15, 10, 0))
ACCOUNT = "1000000001"
INSTALLS = {
    "total": {"total": 1000},
    TWO_ZONE: {"day": 2000, "night": 1000},
    THREE_ZONE: {"peak": 100, "half_peak": 300, "night": 500},
}


def csv_bytes(columns, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(row if isinstance(row, list | tuple) else [row.get(column, "") for column in columns])
    return out.getvalue().encode()


def reading(serial="M1", reading_date="2025-02-28", *, account=ACCOUNT, submitted_on="", channel="ami", **values):
    values = values or {"total": "1250"}
    return {
        "account_number": account,
        "meter_serial": serial,
        "reading_date": reading_date,
        "submitted_on": submitted_on,
        "channel": channel,
        **{zone: str(value) for zone, value in values.items()},
    }


def import_readings(*rows, today=TODAY):
    return readings_import(source=csv_bytes(READING_COLUMNS, rows), today=today, now=NOW)


def account_row(number=ACCOUNT, serial="M1", zones="total", **cells):
    row = {
        "account_number": number,
        "district_code": "KYIV",
        "district_name": "Київ",
        "address": "вул. Хрещатик, 1",
        "holder_name": "Шевчук Тарас",
        "category": "household",
        "residents": "2",
        "invoice_mode": "hybrid",
        "paper_copy": "no",
        "meter_serial": serial,
        "zones": zones,
        "register_digits": "6",
        "multiplier": "1",
        "installed_on": "2025-01-10",
    }
    row.update({f"install_{zone}": str(value) for zone, value in INSTALLS.get(zones, {"total": 1000}).items()})
    row.update(cells)
    return row


def import_accounts(*rows):
    return accounts_import(source=csv_bytes(ACCOUNT_COLUMNS, rows), now=NOW)


def where(result):
    """(line, column, code) of every error: what the operator needs to find and fix it."""
    assert all(error.message for error in result.errors)
    return [(error.line, error.field, error.code) for error in result.errors]


@pytest.fixture
def meter(db):
    """One-zone, 6 digits, installed 10 Jan 2025 at 1000, read 1100 on 31 Jan (Kyiv window, January bill)."""
    meter = MeterFactory(
        account__number=ACCOUNT, serial_number="M1", installed_on=date(2025, 1, 10), install_total=1000
    )
    ReadingFactory(meter=meter, reading_date=date(2025, 1, 31), billing_month=date(2025, 1, 1), total=1100)
    MeterFactory(account__number="1000000002", serial_number="M2", installed_on=date(2025, 1, 10))
    return meter


READING_RULES = [
    ({"reading_date": "2025-02-30"}, "reading_date", csvfile.INVALID_DATE),
    ({"reading_date": "28.02.2025"}, "reading_date", csvfile.INVALID_DATE),
    ({"reading_date": ""}, "reading_date", csvfile.REQUIRED),
    ({"account_number": "12A4"}, "account_number", csvfile.INVALID_FORMAT),
    ({"meter_serial": "M 1"}, "meter_serial", csvfile.INVALID_FORMAT),
    ({"channel": "pigeon"}, "channel", csvfile.INVALID_CHOICE),
    ({"channel": ""}, "channel", csvfile.REQUIRED),
    ({"submitted_on": "2025-02-27"}, "submitted_on", reading_rules.SUBMITTED_BEFORE_READING),
    ({"submitted_on": "2025-03-16"}, "submitted_on", DATE_IN_FUTURE),
    ({"meter_serial": "NOPE"}, "meter_serial", reading_rules.METER_UNKNOWN),
    ({"account_number": "9999999999"}, "account_number", reading_rules.ACCOUNT_UNKNOWN),
    ({"account_number": "1000000002"}, "meter_serial", reading_rules.METER_OF_OTHER_ACCOUNT),
    ({"total": "12a"}, "total", NOT_A_NUMBER),
    ({"total": "1250.5", "channel": "staff"}, "total", NOT_A_NUMBER),  # only head-ends send decimals
    ({"total": ""}, "total", ZONE_MISSING),
    ({"day": "5"}, "day", ZONE_UNKNOWN),
    ({"total": "1234567"}, "total", TOO_MANY_DIGITS),
    ({"total": "1050"}, "total", LOWER_THAN_PREVIOUS),
    ({"reading_date": "2025-03-16"}, "reading_date", DATE_IN_FUTURE),
    ({"reading_date": "2025-01-05"}, "reading_date", DATE_BEFORE_INSTALLATION),
    ({"reading_date": "2025-01-20"}, "reading_date", DATE_BEFORE_PREVIOUS),
]


@pytest.mark.parametrize(("cells", "column", "code"), READING_RULES)
def test_each_reading_rule_names_line_column_and_code(meter, cells, column, code):
    result = import_readings(reading() | cells)
    assert where(result) == [(2, column, code)]
    assert Reading.objects.count() == 1


def test_a_removed_meter_takes_no_readings(meter):
    Meter.objects.filter(pk=meter.pk).update(removed_on=date(2025, 2, 1))
    assert where(import_readings(reading())) == [(2, "meter_serial", METER_INACTIVE)]


def test_rows_with_the_wrong_number_of_cells_are_errors(meter):
    source = csv_bytes(READING_COLUMNS, [reading(), [ACCOUNT, "M1", "2025-03-01"]])
    result = readings_import(source=source, today=TODAY, now=NOW)
    assert where(result) == [(3, "", csvfile.WRONG_CELL_COUNT)]


@pytest.mark.parametrize(
    ("header", "code", "named"),
    [
        ("account_number,meter_serial,reading_date,channel,total", csvfile.HEADER_MISSING_COLUMNS, "submitted_on"),
        (",".join([*READING_COLUMNS, "comment"]), csvfile.HEADER_UNKNOWN_COLUMNS, "comment"),
        (",".join([*READING_COLUMNS, "total"]), csvfile.HEADER_REPEATED_COLUMNS, "total"),
        ("", csvfile.HEADER_MISSING_COLUMNS, "account_number"),
    ],
)
def test_a_wrong_header_is_an_error_that_names_the_columns(meter, header, code, named):
    result = readings_import(source=f"{header}\n{ACCOUNT},M1,2025-02-28,,ami,1250,,,,\n".encode(), today=TODAY, now=NOW)
    assert [(error.line, error.code) for error in result.errors] == [(1, code)]
    assert named in result.errors[0].message


def test_a_file_that_is_not_utf8_names_the_line(meter):
    # A spreadsheet's byte order mark is fine; line 4 was saved in Windows-1251.
    source = codecs.BOM_UTF8 + csv_bytes(READING_COLUMNS, [reading(), reading(reading_date="2025-03-01")])
    source += "1000000001,M1,2025-03-02,,ami,1301,,,,Київ\n".encode("cp1251")
    assert where(readings_import(source=source, today=TODAY, now=NOW)) == [(4, "", csvfile.NOT_UTF8)]


@pytest.mark.parametrize(("digits", "previous", "entered"), [(5, 99_970, 40), (6, 999_950, 25)])
def test_a_register_that_passed_its_top_is_a_rollover(db, digits, previous, entered):
    MeterFactory(
        account__number=ACCOUNT,
        serial_number="M1",
        register_digits=digits,
        install_total=previous,
        installed_on=date(2025, 1, 10),
    )
    result = import_readings(reading(total=entered))
    assert result.errors == [] and result.accepted == 1
    assert Reading.objects.get().total == entered


def test_two_rows_for_one_meter_and_date_make_the_second_an_error(meter):
    result = import_readings(reading(total=1250), reading(total=1250), reading("M2", account="1000000002", total=1100))
    assert where(result) == [(3, "reading_date", csvfile.DUPLICATE_IN_FILE)]
    assert "line 2" in result.errors[0].message
    assert Reading.objects.count() == 1


def test_a_correction_in_a_closed_month_is_refused_but_a_repeat_is_skipped(meter):
    ClosedMonth.objects.create(month=date(2025, 1, 1))
    result = import_readings(reading(reading_date="2025-01-31", total=1101))
    assert where(result) == [(2, "reading_date", MONTH_CLOSED)]
    result = import_readings(reading(reading_date="2025-01-31", total=1100))
    assert result.errors == [] and result.duplicates == 1


def test_a_reading_submitted_after_its_month_closed_bills_the_next_month(meter):
    ClosedMonth.objects.create(month=date(2025, 2, 1))
    assert import_readings(reading(submitted_on="2025-03-01")).errors == []
    assert Reading.objects.latest("reading_date").billing_month == date(2025, 3, 1)


def test_one_bad_line_among_good_ones_changes_nothing_and_is_reported(meter):
    rows = [
        reading(total=1250),
        reading("M2", account="1000000002", total=1100),
        reading(reading_date="2025-03-10", total=1200),
        reading("M2", "2025-03-10", account="1000000002", total=1200),
    ]
    result = import_readings(*rows)
    assert where(result) == [(4, "total", LOWER_THAN_PREVIOUS)]
    assert Reading.objects.count() == 1


def test_every_bad_line_is_reported_with_its_line_number(meter):
    rows = [
        reading(total="x"),
        reading("M2", account="1000000002", total=1100),
        reading(reading_date="2025-03-10", channel="fax"),
        reading("NOPE"),
        reading("M2", "2025-03-10", account="1000000002", total=5),
    ]
    result = import_readings(*rows)
    assert [error.line for error in result.errors] == [2, 4, 5, 6]
    assert Reading.objects.count() == 1


def test_each_row_is_judged_against_the_previous_one_in_the_file(meter):
    result = import_readings(reading(reading_date="2025-03-10", total=1400), reading(total=1300))
    assert result.errors == [] and result.accepted == 2  # applied in date order: 28 Feb first
    result = import_readings(
        reading(reading_date="2025-03-12", total=1410), reading(reading_date="2025-03-14", total=1405)
    )
    assert where(result) == [(3, "total", LOWER_THAN_PREVIOUS)]
    assert "1405 is lower than your last reading, 1410 on 12 March 2025" in result.errors[0].message


def test_importing_a_file_again_creates_nothing(meter):
    rows = [reading(total=1250), reading(reading_date="2025-03-10", total=1300), reading("M2", account="1000000002")]
    first = import_readings(*rows)
    assert (first.accepted, first.duplicates) == (3, 0)
    again = import_readings(*rows)
    assert (again.errors, again.created, again.duplicates) == ([], 0, 3)
    assert Reading.objects.count() == 4


def test_the_import_runs_with_the_cycle_collector_paused_and_it_is_back_on_after(meter, monkeypatch):
    """A file's rows live to the end and form no cycles; the collector's full collections walked them again
    and again (portal/collector.py, shared with the billing run's chunks)."""
    enabled_in_import, real = [], reading_rules._readings_import

    def noting(**kwargs):
        enabled_in_import.append(gc.isenabled())
        return real(**kwargs)

    monkeypatch.setattr(reading_rules, "_readings_import", noting)
    assert gc.isenabled()
    result = import_readings(reading(total=1250))
    assert enabled_in_import == [False] and gc.isenabled()
    assert (result.errors, result.accepted) == ([], 1)
    assert Reading.objects.get(meter=meter, reading_date=date(2025, 2, 28)).total == 1250


def crash_on_inserting_for(meter_id: int) -> None:
    """A database fault the test causes itself: the insert of any reading for `meter_id` fails, after the
    readings before it in the write were stored and a correction marked its original superseded."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_crash() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER test_crash BEFORE INSERT ON readings_reading FOR EACH ROW "
                f"WHEN (NEW.meter_id = {meter_id}) EXECUTE FUNCTION test_crash()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_crash BEFORE INSERT ON readings_reading WHEN NEW.meter_id = {meter_id} "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )


def crash_repaired() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER test_crash ON readings_reading"
            if connection.vendor == "postgresql"
            else "DROP TRIGGER test_crash"
        )


def test_an_import_that_crashes_halfway_stores_nothing_and_its_rerun_stores_each_reading_once(meter):
    second = Meter.objects.get(serial_number="M2")
    rows = [
        reading(total=1250),
        reading(reading_date="2025-01-31", total=1090, channel="staff"),  # corrects 31 January's 1100
        reading("M2", account="1000000002", total=1100),
        reading("M2", "2025-03-10", account="1000000002", total=1150),
    ]
    before = list(Reading.objects.values_list("pk", "total", "superseded_at"))
    crash_on_inserting_for(second.pk)  # M1's rows are written first (file order), then M2's fail
    with pytest.raises(Exception, match="disk full"):
        import_readings(*rows)
    assert list(Reading.objects.values_list("pk", "total", "superseded_at")) == before

    crash_repaired()
    rerun = import_readings(*rows)
    assert (rerun.errors, rerun.accepted, rerun.superseded) == ([], 4, 1)
    again = import_readings(*rows)
    assert (again.errors, again.created, again.duplicates) == ([], 0, 4)
    current = Reading.objects.current().order_by("meter__serial_number", "reading_date")
    assert [(r.meter.serial_number, r.reading_date, r.total) for r in current] == [
        ("M1", date(2025, 1, 31), 1090),
        ("M1", date(2025, 2, 28), 1250),
        ("M2", date(2025, 2, 28), 1100),
        ("M2", date(2025, 3, 10), 1150),
    ]
    assert Reading.objects.count() == 5  # the four, and 31 January's 1100, superseded once


def test_a_different_reading_for_a_stored_date_supersedes_it(meter):
    import_readings(reading(total=1250))
    stored = Reading.objects.get(reading_date=date(2025, 2, 28))
    # Judged against 31 January (1100), not against the reading it replaces (1250).
    result = import_readings(reading(total=1150, channel="staff"))
    assert (result.errors, result.accepted, result.superseded) == ([], 1, 1)
    stored.refresh_from_db()
    assert stored.superseded_at == NOW
    correction = Reading.objects.current().get(reading_date=date(2025, 2, 28))
    assert (correction.total, correction.supersedes_id) == (1150, stored.pk)


def test_a_correction_waiting_for_review_leaves_the_reading_before_as_the_previous_one(meter):
    import_readings(reading(total=1250))
    # 28 Feb becomes implausible (waits for review), so 10 March is judged against 31 January, not 1250.
    result = import_readings(reading(total=1100 + 9000), reading(reading_date="2025-03-10", total=1200))
    assert (result.errors, result.pending_review, result.accepted, result.superseded) == ([], 1, 1, 1)


def test_an_implausible_reading_waits_for_review_unless_staff_passed_it(meter):
    # No usable history (21 days < 30): more than 300 kWh a day is implausible; 28 days * 321 = 8988.
    result = import_readings(
        reading(total=1100 + 8988), reading("M2", account="1000000002", total=1000 + 9000, channel="staff")
    )
    assert (result.errors, result.pending_review, result.accepted) == ([], 1, 1)
    assert Reading.objects.get(meter=meter, reading_date=date(2025, 2, 28)).status == ReadingStatus.PENDING_REVIEW


def test_a_swapped_two_zone_reading_is_judged_as_entered(db):
    MeterFactory(
        account__number=ACCOUNT,
        serial_number="M1",
        zone_set=TWO_ZONE,
        installed_on=date(2025, 1, 10),
        install_day=2000,
        install_night=1000,
    )
    result = import_readings(reading(day=1100, night=2100))
    assert where(result) == [(2, "day", LOWER_THAN_PREVIOUS)]


def test_a_strict_window_never_refuses_an_import(db):
    dek = DistrictFactory(
        code="DEK", window_open_day=20, window_close_month_offset=0, window_close_day=25, window_policy="strict"
    )
    MeterFactory(account__number=ACCOUNT, account__district=dek, serial_number="M1", installed_on=date(2025, 1, 10))
    result = import_readings(reading(reading_date="2025-02-10", channel=Channel.CABINET))
    assert (result.errors, result.accepted) == ([], 1)
    assert Reading.objects.get().billing_month == date(2025, 2, 1)  # DEK's February window closes on the 25th


def test_submitted_on_fixes_the_billing_month_and_the_time_is_noon_in_kyiv(meter):
    import_readings(reading(submitted_on="2025-03-02"), reading("M2", account="1000000002", submitted_on="2025-03-04"))
    by_serial = {stored.meter.serial_number: stored for stored in Reading.objects.filter(reading_date="2025-02-28")}
    assert by_serial["M1"].billing_month == date(2025, 2, 1)  # the Kyiv window for February closes on 3 March
    assert by_serial["M2"].billing_month == date(2025, 3, 1)
    assert timezone.localtime(by_serial["M1"].submitted_at).isoformat() == "2025-03-02T12:00:00+02:00"


def test_a_repeat_of_a_rejected_reading_stays_rejected(meter):
    import_readings(reading(total=9999))
    Reading.objects.filter(total=9999).update(status=ReadingStatus.REJECTED)
    result = import_readings(reading(total=9999))
    assert (result.errors, result.created, result.previously_rejected) == ([], 0, 1)


def test_the_command_lists_every_error_and_exits_non_zero(meter, tmp_path, capsys):
    path = tmp_path / "readings.csv"
    path.write_bytes(
        csv_bytes(
            READING_COLUMNS,
            [
                reading(total="x"),
                reading("M2", account="1000000002"),
                reading("M2", "2025-03-01", account="1", total=5),
            ],
        )
    )
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="2 errors on 2 lines; nothing was imported"):
        call_command("import_readings", str(path), stderr=stderr)
    assert stderr.getvalue().splitlines() == [
        "line 2, total: Total (1.8.0): use digits only, without a decimal part (e.g. 012345). [not_a_number]",
        "line 4, account_number: '1' is not 4 to 20 digits [invalid_format]",
    ]
    assert Reading.objects.count() == 1


def test_the_command_reports_what_it_stored(meter, tmp_path):
    path = tmp_path / "readings.csv"
    path.write_bytes(csv_bytes(READING_COLUMNS, [reading(), reading(reading_date="2025-01-31", total=1100)]))
    stdout = io.StringIO()
    call_command("import_readings", str(path), stdout=stdout)
    assert "Imported 2 rows: 1 accepted" in stdout.getvalue() and "skipped 1 already stored" in stdout.getvalue()


# --- import_accounts -------------------------------------------------------------------------------------


def test_accounts_import_creates_districts_accounts_and_meters(db):
    result = import_accounts(
        account_row(),
        account_row(serial="M2", zones=TWO_ZONE),
        account_row("1000000002", "M3", THREE_ZONE, district_code="DNIPRO", paper_copy="YES"),
    )
    assert result.errors == [] and (result.districts_created, result.accounts_created, result.meters_created) == (
        2,
        2,
        3,
    )
    district = District.objects.get(code="DNIPRO")
    window = (
        district.window_open_month_offset,
        district.window_open_day,
        district.window_close_month_offset,
        district.window_close_day,
        district.window_policy,
    )
    assert window == (0, -2, 1, 3, "open")
    meter = Meter.objects.get(serial_number="M3")
    assert (meter.account.number, meter.account.paper_copy, meter.installation_values) == (
        "1000000002",
        True,
        {"peak": 100, "half_peak": 300, "night": 500},
    )
    assert meter.register_labels == DEFAULT_REGISTER_LABELS[THREE_ZONE]


@pytest.mark.parametrize(
    ("cell", "value"), [("true", True), ("1", True), ("Yes", True), ("false", False), ("0", False), ("no", False)]
)
def test_paper_copy_is_a_yes_or_no(db, cell, value):
    assert import_accounts(account_row(paper_copy=cell)).errors == []
    assert PersonalAccount.objects.get().paper_copy is value


def test_importing_accounts_again_updates_in_place(db):
    import_accounts(account_row(), account_row(serial="M2"))
    moved = {"address": "вул. Нова, 5", "residents": "4"}
    result = import_accounts(account_row(**moved), account_row(serial="M2", multiplier="30", **moved))
    assert result.errors == []
    assert (result.accounts_updated, result.meters_updated, result.meters_unchanged) == (1, 1, 1)
    assert (PersonalAccount.objects.count(), Meter.objects.count()) == (1, 2)
    account = PersonalAccount.objects.get()
    assert (account.address, account.residents, account.updated_at) == ("вул. Нова, 5", 4, NOW)
    assert Meter.objects.get(serial_number="M2").multiplier == 30
    again = import_accounts(account_row(**moved), account_row(serial="M2", multiplier="30", **moved))
    assert (again.accounts_unchanged, again.meters_unchanged) == (1, 2)


def test_a_meter_keeps_its_zones_once_it_has_readings(meter):
    Meter.objects.create(
        account=meter.account, serial_number="M9", zone_set="total", installed_on=date(2025, 1, 1), install_total=5
    )
    result = import_accounts(account_row(serial="M1", zones=TWO_ZONE), account_row(serial="M9", zones=TWO_ZONE))
    assert where(result) == [(2, "zones", account_rules.ZONE_SET_LOCKED)]
    assert Meter.objects.get(serial_number="M9").zone_set == "total"
    assert where(import_accounts(account_row(serial="M9", zones=TWO_ZONE))) == []
    assert Meter.objects.get(serial_number="M9").register_labels == DEFAULT_REGISTER_LABELS[TWO_ZONE]


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"register_digits": "7"}, "register_digits"),
        ({"multiplier": "40"}, "multiplier"),
        ({"install_total": "900"}, "install_total"),
    ],
)
def test_what_consumption_is_computed_from_is_locked_once_a_meter_has_readings(meter, cells, column):
    result = import_accounts(account_row(serial="M1", **cells))
    assert where(result) == [(2, column, account_rules.METER_LOCKED)]
    meter.refresh_from_db()
    assert (meter.register_digits, meter.multiplier, meter.install_total) == (6, 1, 1000)
    assert where(import_accounts(account_row("1000000002", serial="M2", **cells))) == []  # no readings: may change


ACCOUNT_RULES = [
    ({"account_number": "12"}, "account_number", csvfile.INVALID_FORMAT),
    ({"district_code": "kyiv"}, "district_code", csvfile.INVALID_FORMAT),
    ({"holder_name": ""}, "holder_name", csvfile.REQUIRED),
    ({"category": "House"}, "category", csvfile.INVALID_FORMAT),
    ({"residents": "0"}, "residents", csvfile.INVALID_NUMBER),
    ({"invoice_mode": "never"}, "invoice_mode", csvfile.INVALID_CHOICE),
    ({"paper_copy": "maybe"}, "paper_copy", csvfile.INVALID_CHOICE),
    ({"zones": "day+peak"}, "zones", csvfile.INVALID_CHOICE),
    ({"register_digits": "3"}, "register_digits", csvfile.INVALID_NUMBER),
    ({"multiplier": "0"}, "multiplier", csvfile.INVALID_NUMBER),
    ({"installed_on": "2025-02-30"}, "installed_on", csvfile.INVALID_DATE),
    ({"install_total": ""}, "install_total", csvfile.REQUIRED),
    ({"install_total": "1000000"}, "install_total", csvfile.INVALID_NUMBER),
    ({"install_day": "5"}, "install_day", ZONE_UNKNOWN),
    ({"meter_serial": "M2"}, "meter_serial", account_rules.METER_ON_OTHER_ACCOUNT),
    ({"installed_on": "2025-02-01"}, "installed_on", account_rules.INSTALLED_AFTER_READINGS),
]


@pytest.mark.parametrize(("cells", "column", "code"), ACCOUNT_RULES)
def test_each_account_rule_names_line_column_and_code(meter, cells, column, code):
    result = import_accounts(account_row("1000000003", "M3"), account_row(**cells))
    assert where(result) == [(3, column, code)]
    assert not PersonalAccount.objects.filter(number="1000000003").exists()


def test_rows_of_one_account_or_district_must_agree_and_meters_appear_once(db):
    result = import_accounts(
        account_row(),
        account_row(serial="M2", residents="3"),
        account_row("1000000002", "M3", district_name="Kyiv"),
        account_row("1000000002", "M1"),
    )
    assert where(result) == [
        (3, "residents", account_rules.CONFLICTS_WITH_LINE),
        (4, "district_name", account_rules.CONFLICTS_WITH_LINE),
        (5, "meter_serial", csvfile.DUPLICATE_IN_FILE),
    ]
    assert (District.objects.count(), PersonalAccount.objects.count(), Meter.objects.count()) == (0, 0, 0)


def test_the_accounts_command_exits_non_zero_and_changes_nothing(db, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_bytes(ACCOUNT_COLUMNS, [account_row(), account_row("1000000002", "M2", residents="none")]))
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="1 error on 1 line"):
        call_command("import_accounts", str(path), stderr=stderr)
    assert stderr.getvalue().startswith("line 3, residents: 'none' is not a whole number")
    assert PersonalAccount.objects.count() == 0


def test_the_commands_refuse_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_accounts", str(tmp_path / "missing.csv"))


def test_staff_cannot_edit_what_a_meter_with_readings_was_billed_by(client, meter):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(f"/en/admin/readings/meter/{meter.pk}/change/").content.decode()
    assert 'name="register_digits"' not in page and 'name="multiplier"' not in page and 'name="removed_on"' in page
    without = Meter.objects.get(serial_number="M2")
    assert 'name="register_digits"' in client.get(f"/en/admin/readings/meter/{without.pk}/change/").content.decode()
