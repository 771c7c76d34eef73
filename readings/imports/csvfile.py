"""The import files as the operator wrote them: UTF-8 CSV with a header row, read into typed cells.

Every problem becomes a `LineError` that names the line, the column and the rule (DESIGN.md "Stable
file formats"). Lines count CSV records: the header is line 1, the first data row line 2. Blank lines
count too and are skipped, so in files without quoted line breaks these are the editor's line numbers.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

# Stable codes for format problems (the reading rules keep readings.validation's codes).
NOT_UTF8 = "not_utf8"
NOT_CSV = "not_csv"
HEADER_MISSING_COLUMNS = "header_missing_columns"
HEADER_UNKNOWN_COLUMNS = "header_unknown_columns"
HEADER_REPEATED_COLUMNS = "header_repeated_columns"
WRONG_CELL_COUNT = "wrong_cell_count"
REQUIRED = "required"
INVALID_DATE = "invalid_date"
INVALID_NUMBER = "invalid_number"
INVALID_FORMAT = "invalid_format"
INVALID_CHOICE = "invalid_choice"
TOO_LONG = "too_long"
DUPLICATE_IN_FILE = "duplicate_in_file"

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ACCOUNT_NUMBER = re.compile(r"^[0-9]{4,20}$")  # the database's account_number_digits constraint
METER_SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")  # meter_serial_format, at most 32 characters
TRUE_WORDS = {"true", "1", "yes"}
FALSE_WORDS = {"false", "0", "no"}


@dataclass(frozen=True, order=True)
class LineError:
    line: int
    field: str  # the column name; "" when the line as a whole is at fault
    code: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, {self.field}" if self.field else f"line {self.line}"
        return f"{where}: {self.message} [{self.code}]"


class Record(NamedTuple):  # a tuple: a 100,000-row file makes 100,000 of them
    line: int
    cells: dict[str, str]


def read_records(raw: bytes, columns: Iterable[str]) -> tuple[list[Record], list[LineError]]:
    """The data rows of a file whose header must name exactly `columns` (in any order)."""
    errors: list[LineError] = []
    records = list(iter_records(raw, columns, errors))
    return records, errors


def iter_records(raw: bytes, columns: Iterable[str], errors: list[LineError]) -> Iterator[Record]:
    """`read_records` one record at a time, its errors added to `errors`: a caller that turns each record
    into something smaller holds only that (a 100,000-line file as dicts of cells is about 100 MB)."""
    # Spreadsheet programs put a byte order mark in front of UTF-8 CSV. Removed here rather than by the
    # utf-8-sig codec, whose error positions would then be off by three bytes.
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start : error.start + 1].hex()
        errors.append(LineError(line, "", NOT_UTF8, f"the file is not UTF-8 text (byte 0x{byte} on this line)"))
        return

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    line = 0
    try:
        for cells in reader:
            line += 1
            if header is None:
                header = [cell.strip() for cell in cells]
                header_errors = _header_errors(header, tuple(columns))
                if header_errors:
                    errors.extend(header_errors)
                    return
                continue
            if not "".join(cells).strip():  # no cell has anything but spaces
                continue
            if len(cells) != len(header):
                message = f"expected {len(header)} cells as in the header, found {len(cells)}"
                errors.append(LineError(line, "", WRONG_CELL_COUNT, message))
                continue
            yield Record(line, dict(zip(header, map(str.strip, cells), strict=True)))
    except csv.Error as error:
        errors.append(LineError(line + 1, "", NOT_CSV, f"this line cannot be read as CSV ({error}); stopped here"))
    if header is None:
        errors.extend(_header_errors([], tuple(columns)))


def in_file_order(errors: list[LineError], columns: tuple[str, ...]) -> list[LineError]:
    """By line, and within a line in the order of the columns, as the operator reads the file."""
    position = {name: index for index, name in enumerate(columns)}
    return sorted(errors, key=lambda error: (error.line, position.get(error.field, -1), error.code, error.message))


def _header_errors(header: list[str], columns: tuple[str, ...]) -> list[LineError]:
    errors = []
    missing = [name for name in columns if name not in header]
    unknown = [name for name in header if name not in columns]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if missing:
        errors.append(LineError(1, "", HEADER_MISSING_COLUMNS, "the header lacks the columns " + ", ".join(missing)))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        errors.append(LineError(1, "", HEADER_UNKNOWN_COLUMNS, f"the header has unknown columns {names}"))
    if repeated:
        errors.append(LineError(1, "", HEADER_REPEATED_COLUMNS, "the header repeats " + ", ".join(repeated)))
    return errors


class Cells:
    """Typed values of one record; each problem is noted against its line and column, and the value is None."""

    def __init__(self, record: Record, errors: list[LineError]):
        self.record = record
        self.errors = errors
        self.problems = 0

    def fail(self, column: str, code: str, message: str) -> None:
        self.problems += 1
        self.errors.append(LineError(self.record.line, column, code, message))

    @property
    def ok(self) -> bool:
        return self.problems == 0

    def text(self, column: str, *, max_length: int, pattern: re.Pattern | None = None, rule: str = "") -> str | None:
        value = self.record.cells[column]
        if value == "":
            self.fail(column, REQUIRED, "this cell must not be empty")
        elif len(value) > max_length:
            self.fail(column, TOO_LONG, f"at most {max_length} characters, found {len(value)}")
        elif pattern is not None and not pattern.match(value):
            self.fail(column, INVALID_FORMAT, f"{value!r} is not {rule}")
        else:
            return value
        return None

    def day(self, column: str, *, required: bool = True) -> date | None:
        value = self.record.cells[column]
        if value == "":
            if required:
                self.fail(column, REQUIRED, "this cell must not be empty")
            return None
        try:
            if ISO_DATE.match(value):
                return date.fromisoformat(value)
        except ValueError:
            pass
        self.fail(column, INVALID_DATE, f"{value!r} is not a date written YYYY-MM-DD")
        return None

    def integer(self, column: str, *, minimum: int, maximum: int) -> int | None:
        value = self.record.cells[column]
        if value == "":
            self.fail(column, REQUIRED, "this cell must not be empty")
        elif not (value.isascii() and value.isdigit()) or not minimum <= int(value) <= maximum:
            self.fail(column, INVALID_NUMBER, f"{value!r} is not a whole number from {minimum} to {maximum}")
        else:
            return int(value)
        return None

    def choice(self, column: str, choices: Iterable[str]) -> str | None:
        value = self.record.cells[column]
        choices = tuple(choices)
        if value in choices:
            return value
        if value == "":
            self.fail(column, REQUIRED, "this cell must not be empty")
        else:
            self.fail(column, INVALID_CHOICE, f"{value!r} is not one of " + ", ".join(choices))
        return None

    def boolean(self, column: str) -> bool | None:
        value = self.record.cells[column].lower()
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        self.fail(column, INVALID_CHOICE, f"{self.record.cells[column]!r} is not one of true, false, 1, 0, yes, no")
        return None
