"""Smart-meter head-end exports with OBIS-coded registers, read into `import_readings`' row input, without
Django: the format is detected from the header (no option), and rows are keyed by meter serial alone.

Two shapes (docs/file-formats.md):
- long, one register per line: `MeterSerial;Timestamp;OBIS;Value;Unit;Status`
  (`02000007;2026-11-20T00:00:00+02:00;1-0:1.8.1*255;14420.356;kWh;OK`);
- wide, one meter and time per line, a column per register: `meter_serial,read_at,1.8.0,1.8.1,1.8.2`.

`1-0:1.8.1*255` reduces to `1.8.1` (IEC 62056-61: the medium, channel and billing-period parts dropped).
Which zone a register is depends on the meter (1.8.1 is night on a two-zone meter, peak on a three-zone
one), so the caller gives each meter's register labels; a register the meter does not bill (1.8.0 on a
two-zone meter, reactive energy) is skipped and counted, not an error. Values pass on as written (decimal
point), and the reading policy takes their whole kWh, as for every channel (readings/policy.py); `Wh` is
converted to kWh first. Timestamps with or without a zone are read in the portal's zone (Kyiv): the local
date is the reading date, and of several readings of one register on one day the latest counts. Files are
UTF-8 (a byte order mark allowed) or cp1251, separated by `;` or `,`.
"""

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from readings.imports.csvfile import INVALID_DATE, INVALID_NUMBER, NOT_CSV, REQUIRED, LineError, Record

LONG = "obis-long"
WIDE = "obis-wide"

OBIS = re.compile(r"^(?:\d{1,3}-\d{1,3}:)?(\d{1,3}\.\d{1,3}\.\d{1,3})(?:[*&.]\d{1,3})?$")
SERIAL_NAMES = {"meterserial", "serial", "serialnumber", "meter", "meterid", "meternumber", "device", "deviceid"}
TIME_NAMES = {"timestamp", "readat", "datetime", "time", "date", "readingtime", "capturetime", "readingdate"}
OBIS_NAMES = {"obis", "obiscode", "register"}
VALUE_NAMES = {"value", "reading", "registervalue"}
UNIT_NAMES = {"unit", "units"}
STATUS_NAMES = {"status", "state", "quality"}
GOOD_STATUSES = {"", "ok", "0", "00", "valid", "normal", "good", "норма"}
# Units as written in English, Ukrainian and Russian exports ("kWh", "кВт·год", "кВт*ч"), "·*. " removed.
UNITS_PER_KWH = {
    "": Decimal(1),
    "kwh": Decimal(1),
    "квтгод": Decimal(1),
    "квтч": Decimal(1),
    "wh": Decimal(1000),
    "втгод": Decimal(1000),
    "втч": Decimal(1000),
}
DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")

UNKNOWN_OBIS = "unknown_obis"
UNKNOWN_UNIT = "unknown_unit"
METER_UNKNOWN = "meter_unknown"
REGISTER_CONFLICT = "register_conflict"


@dataclass(frozen=True)
class MeterRegisters:
    """What the reader needs of a meter: its account, zones and the labels its display shows per zone."""

    account_number: str
    zones: tuple[str, ...]
    labels: dict[str, list[str]]

    def zone_of(self, obis: str) -> str | None:
        return next((zone for zone in self.zones if obis in self.labels.get(zone, ())), None)


@dataclass
class ObisFile:
    shape: str
    records: list[Record] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # why -> registers skipped ("1.8.0 not billed", ...)


@dataclass(frozen=True)
class _Register:
    line: int
    serial: str
    read_at: datetime
    obis: str
    value: str  # as written, "." as the decimal mark, in kWh


def _name(cell: str) -> str:
    return re.sub(r"[\s_\-.]", "", cell.strip().lower())


def obis_code(text: str) -> str | None:
    match = OBIS.match(text.strip())
    return match.group(1) if match else None


def decode(raw: bytes) -> str:
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251", errors="replace")  # what Windows head-end tools write


def _column(header: list[str], names: set[str]) -> int | None:
    return next((index for index, cell in enumerate(header) if _name(cell) in names), None)


def detect(raw: bytes) -> tuple[str, list[str], str] | None:
    """(shape, header, delimiter) of an OBIS export, or None for any other file (the portal's own CSV)."""
    first = decode(raw[:4096]).splitlines()[0] if raw.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [cell.strip() for cell in next(csv.reader([first], delimiter=delimiter), [])]
    if _column(header, SERIAL_NAMES) is None or _column(header, TIME_NAMES) is None:
        return None
    if _column(header, OBIS_NAMES) is not None and _column(header, VALUE_NAMES) is not None:
        return LONG, header, delimiter
    if any(obis_code(cell) for cell in header):
        return WIDE, header, delimiter
    return None


def read_at(text: str, zone: tzinfo) -> datetime | None:
    text = text.strip()
    dotted = DOTTED_DATE.match(text)
    try:
        if dotted:
            day, month, year, hour, minute, second = (int(part or 0) for part in dotted.groups())
            moment = datetime(year, month, day, hour, minute, second)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def kwh_value(text: str, unit: str) -> str | None:
    """The value in kWh as text with a decimal point; None when it is not a number."""
    cleaned = re.sub(r"[\s\u00a0]", "", text).replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return format(number / UNITS_PER_KWH[unit], "f")


def read_obis(raw: bytes, lookup, *, zone: tzinfo, channel: str) -> ObisFile | None:
    """The file as `import_readings` rows (one per meter and local day), or None when it is not an OBIS
    export. `lookup(serials)` gives the file's meters as {serial: MeterRegisters}; a serial it does not
    know is an error."""
    detected = detect(raw)
    if detected is None:
        return None
    shape, header, delimiter = detected
    result = ObisFile(shape)
    rows = _rows(decode(raw), header, delimiter, result)
    serial_at = _column(header, SERIAL_NAMES)
    meters = lookup(sorted({cells[serial_at] for _line, cells in rows if cells[serial_at]}))
    registers = _registers(rows, shape, header, meters, zone, result)
    _records(registers, meters, channel, result)
    return result


def _rows(text: str, header: list[str], delimiter: str, result: ObisFile) -> list[tuple[int, list[str]]]:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for cells in reader:
            line += 1
            if line > 1 and any(cell.strip() for cell in cells):
                rows.append((line, [cell.strip() for cell in cells] + [""] * (len(header) - len(cells))))
    except csv.Error as error:
        message = f"this line cannot be read as CSV ({error}); stopped here"
        result.errors.append(LineError(line + 1, "", NOT_CSV, message))
    return rows


def _registers(rows, shape, header, meters, zone, result: ObisFile) -> list[_Register]:
    serial_at, time_at = _column(header, SERIAL_NAMES), _column(header, TIME_NAMES)
    unit_at, status_at = _column(header, UNIT_NAMES), _column(header, STATUS_NAMES)
    obis_at, value_at = _column(header, OBIS_NAMES), _column(header, VALUE_NAMES)
    wide_columns = [(index, obis_code(cell)) for index, cell in enumerate(header) if obis_code(cell)]
    registers: list[_Register] = []
    for line, cells in rows:

        def fail(column: int | None, code: str, message: str, line=line) -> None:
            result.errors.append(LineError(line, header[column] if column is not None else "", code, message))

        serial = cells[serial_at]
        moment = read_at(cells[time_at], zone)
        if not serial:
            fail(serial_at, REQUIRED, "the meter serial is empty")
            continue
        if serial not in meters:
            fail(serial_at, METER_UNKNOWN, f"there is no meter {serial}")
            continue
        if moment is None:
            fail(time_at, INVALID_DATE, f"{cells[time_at]!r} is not a time (YYYY-MM-DDTHH:MM[:SS][+HH:MM])")
            continue
        if status_at is not None and cells[status_at].lower() not in GOOD_STATUSES:
            result.skipped[f"status {cells[status_at]}"] += 1 if shape == LONG else len(wide_columns)
            continue
        unit = re.sub(r"[·*.\s]", "", cells[unit_at].lower()) if unit_at is not None else ""
        if shape == LONG:
            code = obis_code(cells[obis_at])
            if code is None:
                fail(obis_at, UNKNOWN_OBIS, f"{cells[obis_at]!r} is not an OBIS code (e.g. 1-0:1.8.1*255)")
                continue
            pairs = [(code, value_at)]
        else:
            pairs = [(code, index) for index, code in wide_columns if cells[index]]
        for code, at in pairs:
            if meters[serial].zone_of(code) is None:
                result.skipped[f"{code} not billed by the meter"] += 1
                continue
            if unit not in UNITS_PER_KWH:
                fail(unit_at, UNKNOWN_UNIT, f"{cells[unit_at]!r} is not a unit of energy (kWh or Wh)")
                continue
            value = kwh_value(cells[at], unit)
            if value is None:
                fail(at, INVALID_NUMBER, f"{cells[at]!r} is not a number")
                continue
            registers.append(_Register(line, serial, moment, code, value))
    return registers


def _records(registers: list[_Register], meters: dict[str, MeterRegisters], channel: str, result: ObisFile) -> None:
    """One row per meter and local day: each zone's latest register value of that day."""
    days: dict[tuple[str, date], dict[str, _Register]] = {}
    for register in registers:
        zone = meters[register.serial].zone_of(register.obis)
        day = days.setdefault((register.serial, register.read_at.date()), {})
        earlier = day.get(zone)
        if earlier is not None and earlier.read_at == register.read_at and earlier.value != register.value:
            message = (
                f"meter {register.serial} has {register.obis} = {earlier.value} on line {earlier.line} for the same "
                f"time, {register.read_at.isoformat()}"
            )
            result.errors.append(LineError(register.line, "", REGISTER_CONFLICT, message))
        elif earlier is None or register.read_at > earlier.read_at:
            day[zone] = register
    for (serial, day), zones in days.items():
        meter = meters[serial]
        cells = {
            "account_number": meter.account_number,
            "meter_serial": serial,
            "reading_date": day.isoformat(),
            "submitted_on": "",
            "channel": channel,
            "total": "",
            "day": "",
            "night": "",
            "peak": "",
            "half_peak": "",
        }
        cells.update({zone: register.value for zone, register in zones.items()})
        result.records.append(Record(min(register.line for register in zones.values()), cells))
    result.records.sort(key=lambda record: record.line)
