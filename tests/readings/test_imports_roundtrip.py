"""export_readings, and the imports as a whole: a round trip through the commands, properties over random
reading histories, and the set-based reads (the same facts as reading_submit, queries not growing with
the file)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.windows import add_months
from readings.exports import EXPORT_COLUMNS, readings_export
from readings.imports.accounts import ACCOUNT_COLUMNS, accounts_import
from readings.imports.history import ImportMeter, meter_histories
from readings.imports.readings import READING_COLUMNS, readings_import
from readings.models import Meter, Reading, ReadingStatus
from readings.services import meter_facts, reading_rules
from readings.zones import ALL_ZONES, ONE_ZONE, THREE_ZONE, TWO_ZONE, zones_of
from tests.factories import MeterFactory, ReadingFactory
from tests.readings.test_imports import NOW, account_row, csv_bytes

pytestmark = pytest.mark.django_db

FAR_FUTURE = date(2030, 1, 1)
IMPORTED = [EXPORT_COLUMNS.index(column) for column in READING_COLUMNS]


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def history_files(meters: list[dict]) -> tuple[bytes, list[list[str]]]:
    """The accounts file and the readings rows (in export order) for meters described by plain numbers:
    number, serial, zone_set, digits, start (values at installation), first_month, uses (per month, per
    zone), delays (days from reading to submission), channels."""
    accounts, readings = [], []
    for meter in meters:
        zones = zones_of(meter["zone_set"])
        installs = {f"install_{zone}": str(meter["start"][zone]) for zone in zones}
        accounts.append(
            account_row(
                meter["number"],
                meter["serial"],
                meter["zone_set"],
                register_digits=str(meter["digits"]),
                installed_on=meter["first_month"].isoformat(),
                **installs,
            )
        )
        values = dict(meter["start"])
        for index, uses in enumerate(meter["uses"]):
            reading_date = month_end(add_months(meter["first_month"], index))
            values = {zone: (values[zone] + use) % 10 ** meter["digits"] for zone, use in zip(zones, uses, strict=True)}
            submitted_on = reading_date + timedelta(days=meter["delays"][index])
            cells = {zone: str(values[zone]) if zone in zones else "" for zone in ALL_ZONES}
            readings.append(
                [
                    meter["number"],
                    meter["serial"],
                    reading_date.isoformat(),
                    submitted_on.isoformat(),
                    meter["channels"][index],
                    *cells.values(),
                ]
            )
    return csv_bytes(ACCOUNT_COLUMNS, accounts), readings


def exported(date_from=date(2000, 1, 1), date_to=FAR_FUTURE) -> list[list[str]]:
    out = io.StringIO()
    readings_export(date_from=date_from, date_to=date_to, out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(EXPORT_COLUMNS)
    return rows[1:]


ROUND_TRIP_METERS = [
    {"number": "2000000001", "serial": "RT-1", "zone_set": ONE_ZONE, "digits": 6, "start": {"total": 15000}},
    {
        "number": "2000000001",
        "serial": "RT-2",
        "zone_set": TWO_ZONE,
        "digits": 6,
        "start": {"day": 27000, "night": 13500},
    },
    {
        "number": "2000000002",
        "serial": "RT-3",
        "zone_set": THREE_ZONE,
        "digits": 6,
        "start": {"peak": 300, "half_peak": 600, "night": 1000},
    },
    {
        "number": "2000000003",
        "serial": "RT-4",
        "zone_set": ONE_ZONE,
        "digits": 5,
        "start": {"total": 99000},
    },  # rolls over
]


def test_round_trip_through_the_commands(tmp_path):
    meters = [
        meter
        | {
            "first_month": date(2024, 1, 1),
            "uses": [[150 + 10 * (i % 3)] * len(zones_of(meter["zone_set"])) for i in range(13)],
            "delays": [i % 4 for i in range(13)],
            "channels": ["ami", "cabinet", "api", "sms", "staff"] * 3,
        }
        for meter in ROUND_TRIP_METERS
    ]
    accounts_file, rows = history_files(meters)
    (tmp_path / "accounts.csv").write_bytes(accounts_file)
    (tmp_path / "readings.csv").write_bytes(csv_bytes(READING_COLUMNS, rows))
    call_command("import_accounts", str(tmp_path / "accounts.csv"), stdout=io.StringIO())
    call_command("import_readings", str(tmp_path / "readings.csv"), stdout=io.StringIO())

    out = io.StringIO()
    call_command("export_readings", "--from", "2024-01-01", "--to", "2025-12-31", stdout=out)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == list(EXPORT_COLUMNS)
    assert len(rows) == 4 * 13
    assert [[line[index] for index in IMPORTED] for line in lines[1:]] == rows
    assert {line[EXPORT_COLUMNS.index("status")] for line in lines[1:]} == {"accepted"}
    # 99 000 at installation plus 1 110 used by the end of July: the 5-digit register passed 99 999.
    assert Reading.objects.get(meter__serial_number="RT-4", reading_date=date(2024, 7, 31)).total == 110

    before = Reading.objects.count()
    stdout = io.StringIO()
    call_command("import_readings", str(tmp_path / "readings.csv"), stdout=stdout)
    assert Reading.objects.count() == before
    assert "0 accepted" in stdout.getvalue() and f"skipped {len(rows)} already stored" in stdout.getvalue()


def test_export_lists_current_readings_of_the_range_in_order(db):
    one = MeterFactory(account__number="3000000002", serial_number="E1", installed_on=date(2025, 1, 1))
    two = MeterFactory(
        account__number="3000000001", serial_number="E2", zone_set=TWO_ZONE, installed_on=date(2025, 1, 1)
    )
    after_midnight_in_kyiv = datetime(2025, 2, 28, 23, 30, tzinfo=UTC)  # 1 March, 01:30 in Kyiv
    ReadingFactory(meter=one, reading_date=date(2025, 1, 31), total=1100, submitted_at=after_midnight_in_kyiv)
    old = ReadingFactory(meter=one, reading_date=date(2025, 2, 28), total=1200, superseded_at=NOW)
    ReadingFactory(meter=one, reading_date=date(2025, 2, 28), total=1190, supersedes=old, channel="staff")
    ReadingFactory(meter=one, reading_date=date(2025, 3, 31), total=1300, status=ReadingStatus.PENDING_REVIEW)
    ReadingFactory(meter=one, reading_date=date(2025, 4, 30), total=1400, status=ReadingStatus.REJECTED)
    ReadingFactory(meter=one, reading_date=date(2025, 5, 31), total=1500)
    ReadingFactory(
        meter=two,
        reading_date=date(2025, 4, 30),
        zone_set=TWO_ZONE,
        total=None,
        day=2100,
        night=1050,
        billing_month=date(2025, 5, 1),
        submitted_at=timezone.make_aware(datetime(2025, 5, 2, 9)),
    )
    rows = exported(date(2025, 1, 31), date(2025, 4, 30))
    assert [row[:3] for row in rows] == [
        ["3000000001", "E2", "2025-04-30"],
        ["3000000002", "E1", "2025-01-31"],
        ["3000000002", "E1", "2025-02-28"],
        ["3000000002", "E1", "2025-03-31"],
    ]
    assert rows[0][3:] == ["2025-05-02", "2025-05", "cabinet", "accepted", "", "2100", "1050", "", ""]
    assert rows[1][3] == "2025-03-01"
    assert [row[6:8] for row in rows[2:]] == [["accepted", "1190"], ["pending_review", "1300"]]


def test_the_export_command_checks_its_dates(db):
    with pytest.raises(CommandError, match="must not be after"):
        call_command("export_readings", "--from", "2025-02-01", "--to", "2025-01-31")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_readings", "--from", "20250101", "--to", "2025-01-31")


def test_the_set_based_history_gives_the_facts_reading_submit_uses(db):
    meter = MeterFactory(serial_number="F1", installed_on=date(2023, 12, 10), install_total=1000)
    total = 1000
    for index in range(16):
        reading_date = month_end(add_months(date(2024, 1, 1), index))
        total += 100 + 40 * (index % 4)  # seasons: the lookback's start matters
        status = {5: ReadingStatus.PENDING_REVIEW, 9: ReadingStatus.REJECTED}.get(index, ReadingStatus.ACCEPTED)
        stored = ReadingFactory(meter=meter, reading_date=reading_date, total=total, status=status)
        if index == 7:  # corrected: the superseded reading must not count
            Reading.objects.filter(pk=stored.pk).update(superseded_at=NOW, total=total + 5000)
            ReadingFactory(meter=meter, reading_date=reading_date, total=total, supersedes=stored)
    lookback, rules = settings.READING_AVERAGE_LOOKBACK_DAYS, reading_rules()
    firsts = [date(2023, 12, 20), date(2024, 2, 15), date(2024, 8, 31), date(2025, 1, 31), date(2025, 5, 1)]
    for first in firsts:
        for several in (False, True):
            history = meter_histories(
                {meter.pk: ImportMeter.of(meter)},
                {meter.pk: first},
                {meter.pk} if several else set(),
                lookback_days=lookback,
            )[meter.pk]
            # One row per meter asks only about its first date; several rows ask about later dates too.
            for before in [first] + ([first + timedelta(days=days) for days in (45, 200, 420)] if several else []):
                assert history.facts(before, lookback_days=lookback, rules=rules) == meter_facts(
                    meter, before=before, rules=rules
                ), (first, several, before)


def test_reads_do_not_grow_with_the_file(db):
    def queries_for(count: int, prefix: str) -> int:
        meters = [
            MeterFactory(serial_number=f"{prefix}{index}", installed_on=date(2025, 1, 1)) for index in range(count)
        ]
        for meter in meters:
            ReadingFactory(meter=meter, reading_date=date(2025, 1, 31), billing_month=date(2025, 1, 1), total=1100)
        rows = [
            [meter.account.number, meter.serial_number, "2025-02-28", "", "ami", "1200", "", "", "", ""]
            for meter in meters
        ]
        rows += [
            [meter.account.number, meter.serial_number, "2025-03-31", "", "ami", "1300", "", "", "", ""]
            for meter in meters[: count // 4]
        ]
        with CaptureQueriesContext(connection) as queries:
            result = readings_import(source=csv_bytes(READING_COLUMNS, rows), today=date(2025, 4, 1), now=NOW)
        assert result.errors == [] and result.accepted == len(rows)
        return len(queries)

    assert queries_for(4, "Q") == queries_for(36, "R") <= 12


# --- properties over random histories --------------------------------------------------------------------

ZONE_SETS = [ONE_ZONE, TWO_ZONE, THREE_ZONE]


@st.composite
def random_meters(draw):
    """1-4 meters with 1-13 monthly readings each: steady use, any start (so registers roll over)."""
    meters = []
    for index in range(draw(st.integers(1, 4))):
        zone_set, digits = draw(st.sampled_from(ZONE_SETS)), draw(st.integers(4, 7))
        zones, months = zones_of(zone_set), draw(st.integers(1, 13))
        uses = st.lists(st.integers(50, 150), min_size=len(zones), max_size=len(zones))
        meters.append(
            {
                "number": f"40000000{index:02d}",
                "serial": f"H{index}",
                "zone_set": zone_set,
                "digits": digits,
                "start": {zone: draw(st.integers(0, 10**digits - 1)) for zone in zones},
                "first_month": date(2023, draw(st.integers(1, 12)), 1),
                "uses": draw(st.lists(uses, min_size=months, max_size=months)),
                "delays": draw(st.lists(st.integers(0, 3), min_size=months, max_size=months)),
                "channels": draw(
                    st.lists(
                        st.sampled_from(["ami", "cabinet", "api", "sms", "staff"]), min_size=months, max_size=months
                    )
                ),
            }
        )
    return meters


PROPERTY = hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(meters=random_meters())
def test_any_valid_history_imports_and_exports_back_identically(db, meters):
    with transaction.atomic():  # every example starts from an empty database
        accounts_file, rows = history_files(meters)
        assert accounts_import(source=accounts_file, now=NOW).errors == []
        result = readings_import(source=csv_bytes(READING_COLUMNS, rows), today=FAR_FUTURE, now=NOW)
        assert (result.errors, result.accepted) == ([], len(rows))
        assert [[row[index] for index in IMPORTED] for row in exported()] == rows
        assert readings_import(source=csv_bytes(READING_COLUMNS, rows), today=FAR_FUTURE, now=NOW).created == 0
        transaction.set_rollback(True)


CORRUPTIONS = {
    "reading_date": lambda row, digits: row | {2: "2023-02-30"},
    "channel": lambda row, digits: row | {4: "fax"},
    "meter_serial": lambda row, digits: row | {1: "NOSUCH"},
    "value": lambda row, digits: row | {next(i for i in range(5, 10) if row[i]): "12x"},
    "digits": lambda row, digits: row | {next(i for i in range(5, 10) if row[i]): "9" * (digits + 1)},
    "zone": lambda row, digits: row | {next(i for i in range(5, 10) if not row[i]): "7"},
}


@PROPERTY
@given(meters=random_meters(), data=st.data())
def test_one_bad_line_anywhere_is_named_and_stores_nothing(db, meters, data):
    with transaction.atomic():
        accounts_file, rows = history_files(meters)
        assert accounts_import(source=accounts_file, now=NOW).errors == []
        index = data.draw(st.integers(0, len(rows) - 1))
        kind = data.draw(st.sampled_from(sorted(CORRUPTIONS)))
        digits = next(meter["digits"] for meter in meters if meter["serial"] == rows[index][1])
        cells = CORRUPTIONS[kind](dict(enumerate(rows[index])), digits)
        rows[index] = [cells[position] for position in range(len(READING_COLUMNS))]
        result = readings_import(source=csv_bytes(READING_COLUMNS, rows), today=FAR_FUTURE, now=NOW)
        assert result.errors and {error.line for error in result.errors} == {index + 2}, (kind, result.errors)
        assert not Reading.objects.exists()
        assert Meter.objects.count() == len(meters)
        transaction.set_rollback(True)
