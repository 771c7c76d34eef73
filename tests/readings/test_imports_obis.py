"""Head-end exports with OBIS-coded registers through `import_readings`: long and wide shapes detected from
the header, two- and three-zone meters mapped by their register labels (1.8.1 is night on one, peak on the
other), registers the meter does not bill skipped and counted, decimals dropped by the reading policy,
timestamps read as Kyiv time, `;` or `,`, UTF-8 or cp1251."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from readings.imports.obis import LONG, WIDE, MeterRegisters, detect, obis_code, read_at, read_obis
from readings.imports.readings import readings_import
from readings.models import Reading
from readings.zones import DEFAULT_REGISTER_LABELS, THREE_ZONE, TWO_ZONE
from tests.factories import MeterFactory, PersonalAccountFactory

KYIV = ZoneInfo("Europe/Kyiv")
TODAY = date(2026, 11, 25)
NOW = timezone.make_aware(datetime(2026, 11, 25, 10, 0))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1-0:1.8.1*255", "1.8.1"),
        ("1-0:1.8.0", "1.8.0"),
        ("1.8.2", "1.8.2"),
        ("1.8.1*255", "1.8.1"),
        ("1-1:15.8.2&01", "15.8.2"),
        (" 1-0:2.8.0*255 ", "2.8.0"),
        ("kWh", None),
        ("1.8", None),
        ("meter_serial", None),
    ],
)
def test_obis_codes_reduce_to_c_d_e(text, code):
    assert obis_code(text) == code


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2026-11-20T00:00:00", datetime(2026, 11, 20, 0, 0)),
        ("2026-11-20 00:15", datetime(2026, 11, 20, 0, 15)),
        ("2026-11-19T22:30:00Z", datetime(2026, 11, 20, 0, 30)),  # UTC+2 in November
        ("2026-11-20T00:00:00+01:00", datetime(2026, 11, 20, 1, 0)),
        ("2026-07-19T21:30:00+00:00", datetime(2026, 7, 20, 0, 30)),  # UTC+3 in summer
        ("20.11.2026 00:00", datetime(2026, 11, 20, 0, 0)),
        ("20.11.2026", datetime(2026, 11, 20, 0, 0)),
        ("2026-02-30T00:00", None),
        ("yesterday", None),
    ],
)
def test_timestamps_are_read_as_kyiv_time(text, local):
    moment = read_at(text, KYIV)
    assert (moment.replace(tzinfo=None) if moment else None) == local


@pytest.mark.parametrize(
    ("first_line", "shape"),
    [
        (b"MeterSerial;Timestamp;OBIS;Value;Unit;Status", LONG),
        (b"meter_serial,timestamp,obis,value", LONG),
        (b"\xef\xbb\xbfmeter_serial,read_at,1.8.0,1.8.1,1.8.2", WIDE),
        (b"Serial;Date;1-0:1.8.1*255;1-0:1.8.2*255", WIDE),
        (b"account_number,meter_serial,reading_date,submitted_on,channel,total,day,night,peak,half_peak", None),
        (b"", None),
    ],
)
def test_the_shape_is_detected_from_the_header(first_line, shape):
    found = detect(first_line + b"\n")
    assert (found[0] if found else None) == shape


TWO = MeterRegisters("1000100001", ("day", "night"), DEFAULT_REGISTER_LABELS[TWO_ZONE])
THREE = MeterRegisters("1000100002", ("peak", "half_peak", "night"), DEFAULT_REGISTER_LABELS[THREE_ZONE])


def test_one_register_maps_to_different_zones_on_different_meters():
    assert (TWO.zone_of("1.8.1"), THREE.zone_of("1.8.1")) == ("night", "peak")
    assert (TWO.zone_of("1.8.0"), THREE.zone_of("1.8.3")) == (None, "night")


def test_the_latest_reading_of_a_day_counts_and_a_conflict_is_an_error():
    raw = (
        b"MeterSerial;Timestamp;OBIS;Value;Unit\n"
        b"02000007;2026-11-20T00:00;1.8.1;100;kWh\n"
        b"02000007;2026-11-20T23:00;1.8.1;105;kWh\n"
        b"02000007;2026-11-20T00:00;1.8.2;200;kWh\n"
        b"02000007;2026-11-20T00:00;1.8.2;201;kWh\n"
    )
    result = read_obis(raw, lambda serials: {"02000007": TWO}, zone=KYIV, channel="ami")
    assert result.records[0].cells["night"] == "105"
    assert [(error.line, error.code) for error in result.errors] == [(5, "register_conflict")]


@pytest.fixture
def meters(db, kyiv):
    """A two-zone meter (day 1.8.2, night 1.8.1) and a three-zone one (peak 1.8.1, half-peak 1.8.2, night
    1.8.3), as the factories label them, installed in January."""
    two = MeterFactory(
        account=PersonalAccountFactory(district=kyiv, number="1000100001"),
        serial_number="02000007",
        zone_set=TWO_ZONE,
        installed_on=date(2026, 1, 10),
        install_day=14000,
        install_night=7000,
    )
    three = MeterFactory(
        account=PersonalAccountFactory(district=kyiv, number="1000100002"),
        serial_number="03000021",
        zone_set=THREE_ZONE,
        installed_on=date(2026, 1, 10),
        install_peak=5000,
        install_half_peak=8000,
        install_night=6000,
    )
    return two, three


LONG_EXPORT = (
    "MeterSerial;Timestamp;OBIS;Value;Unit;Status\n"
    "02000007;2026-11-20T00:00:00+02:00;1-0:1.8.0*255;22420.356;kWh;OK\n"
    "02000007;2026-11-20T00:00:00+02:00;1-0:1.8.1*255;8000,120;kWh;OK\n"
    "02000007;2026-11-20T00:00:00+02:00;1-0:1.8.2*255;14420,356;kWh;OK\n"
    "02000007;2026-11-20T00:00:00+02:00;1-0:3.8.0*255;120,000;kvarh;OK\n"
    "03000021;2026-11-19T22:00:00Z;1-0:1.8.1*255;5600.9;kWh;OK\n"
    "03000021;2026-11-19T22:00:00Z;1-0:1.8.2*255;8995120;Wh;OK\n"
    "03000021;2026-11-19T22:00:00Z;1-0:1.8.3*255;6400;kWh;OK\n"
    "03000021;2026-11-19T22:00:00Z;1-0:1.8.0*255;21000;kWh;OK\n"
    "03000021;2026-11-20T12:00:00;1-0:1.8.1*255;5601;kWh;ERROR\n"
)


def stored(meter) -> dict:
    reading = Reading.objects.get(meter=meter, reading_date=date(2026, 11, 20))
    assert reading.channel == "ami"
    return reading.values


def test_a_long_export_for_two_and_three_zone_meters(meters):
    two, three = meters
    result = readings_import(source=LONG_EXPORT.encode(), today=TODAY, now=NOW)
    assert result.errors == []
    assert (result.file_format, result.rows, result.accepted) == ("obis-long", 2, 2)
    assert stored(two) == {"day": 14420, "night": 8000}  # 1.8.2 day, 1.8.1 night; fractions dropped
    assert stored(three) == {"peak": 5600, "half_peak": 8995, "night": 6400}  # 1.8.1 peak; Wh -> kWh
    assert result.skipped_registers == {
        "1.8.0 not billed by the meter": 2,
        "3.8.0 not billed by the meter": 1,
        "status ERROR": 1,
    }


def test_a_cp1251_export_with_ukrainian_units_and_status_is_read(meters):
    two, _three = meters
    source = (
        "Serial;Timestamp;OBIS;Value;Unit;Status\n"
        "02000007;20.11.2026 00:00;1.8.1;8000,5;кВт·год;норма\n"
        "02000007;20.11.2026 00:00;1.8.2;14420500;Вт·год;норма\n"
        "02000007;20.11.2026 00:00;1.8.0;22421;кВт·год;норма\n"
    ).encode("cp1251")
    result = readings_import(source=source, today=TODAY, now=NOW)
    assert result.errors == [] and stored(two) == {"day": 14420, "night": 8000}
    assert result.skipped_registers == {"1.8.0 not billed by the meter": 1}


def test_a_wide_export_with_a_total_column_for_two_and_three_zone_meters(meters):
    two, three = meters
    source = (
        "\ufeffmeter_serial,read_at,1.8.0,1.8.1,1.8.2,1.8.3\n"
        "02000007,2026-11-20 00:00,22421.5,8000.120,14421.380,\n"
        "03000021,2026-11-20 00:00,21000,5600.999,8995.120,6400.5\n"
    ).encode()
    result = readings_import(source=source, today=TODAY, now=NOW)
    assert result.errors == []
    assert (result.file_format, result.accepted) == ("obis-wide", 2)
    assert stored(two) == {"day": 14421, "night": 8000}
    assert stored(three) == {"peak": 5600, "half_peak": 8995, "night": 6400}
    assert result.skipped_registers == {"1.8.0 not billed by the meter": 2}
    again = readings_import(source=source, today=TODAY, now=NOW)
    assert (again.accepted, again.duplicates) == (0, 2)  # a re-import stores nothing twice


def test_a_bad_export_names_each_problem_and_changes_nothing(meters):
    source = (
        b"MeterSerial;Timestamp;OBIS;Value;Unit\n"
        b"02000007;2026-11-20T00:00;1.8.1;8000;kWh\n"
        b"02000007;2026-11-20T00:00;1.8.2;14000;MJ\n"
        b"99999999;2026-11-20T00:00;1.8.1;1;kWh\n"
        b"02000007;tomorrow;1.8.1;1;kWh\n"
        b"02000007;2026-11-21T00:00;energy;1;kWh\n"
        b"02000007;2026-11-22T00:00;1.8.1;lots;kWh\n"
    )
    result = readings_import(source=source, today=TODAY, now=NOW)
    assert [(error.line, error.field, error.code) for error in result.errors] == [
        (2, "day", "zone_missing"),
        (3, "Unit", "unknown_unit"),
        (4, "MeterSerial", "meter_unknown"),
        (5, "Timestamp", "invalid_date"),
        (6, "OBIS", "unknown_obis"),
        (7, "Value", "invalid_number"),
    ]
    assert not Reading.objects.filter(channel="ami").exists()


def test_the_command_reads_an_export_and_says_what_it_skipped(meters, tmp_path, capsys):
    path = tmp_path / "headend.csv"
    path.write_bytes(LONG_EXPORT.encode())
    call_command("import_readings", str(path))
    out = capsys.readouterr().out
    assert "Imported 2 rows: 2 accepted" in out
    assert "obis-long: skipped registers: 2 1.8.0 not billed by the meter, 1 3.8.0 not billed by the meter" in out
