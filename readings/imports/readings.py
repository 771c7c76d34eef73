"""`import_readings`: meter readings from a CSV (AMI head-ends, data migration), decided by the same policy as
every channel (readings/policy.py `decide`), checked in full before anything is written. A head-end's
OBIS-coded export is recognised by its header and read into the same rows (readings/imports/headend.py).

The facts come set-based for the whole file (readings/imports/history.py); the policy gets them per row, as
`reading_submit` gets them for one meter. What the import does with a verdict, and why:
- a strict submission window never refuses an import (DESIGN.md): its facts carry no window;
- an identical repeat of a stored reading is skipped, even an old one, so that a file can be imported
  twice; a repeat of a reading staff rejected is skipped too, so a re-import does not undo the decision;
- a row that `reading_submit` would answer with "did you swap day and night?" is judged as entered;
- nothing is written unless every row passes; the rows of one meter are applied in date order, each
  judged against the readings before it, stored or earlier in the file.
The state of all the file's meters is read set-based (readings/imports/history.py), and the new rows
are written with one bulk update (superseded readings) and COPY (bulk_create on SQLite). On PostgreSQL the
meters are locked and read in one statement, their serials passed as one array, and everything is read as
plain tuples: a 100,000-row file spent most of its time in the ORM, resolving `__in` lists and building
model instances, and the policy itself about 15 % (bench/RESULTS.md). A bad line's message names the meter's
register labels, so the few meters with bad lines are read as model instances at the end.
"""

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from operator import itemgetter
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from accounts.batch_sql import BATCH, set_local
from accounts.models import District, PersonalAccount
from portal.collector import collector_paused
from readings.imports.csvfile import (
    ACCOUNT_NUMBER,
    DUPLICATE_IN_FILE,
    ISO_DATE,
    METER_SERIAL,
    Cells,
    LineError,
    in_file_order,
    iter_records,
)
from readings.imports.headend import headend_file
from readings.imports.history import CHUNK, ImportMeter, MeterHistory, array_literal, batches, meter_histories
from readings.messages import problem_message
from readings.models import Channel, Meter, Reading, ReadingStatus
from readings.policy import (
    DUPLICATE,
    PENDING_REVIEW,
    REJECTED,
    MeterInfo,
    StoredDay,
    Submission,
    SubmissionFacts,
    decide,
)
from readings.services import last_closed_month, reading_rules
from readings.validation import (
    DATE_BEFORE_INSTALLATION,
    DATE_BEFORE_PREVIOUS,
    DATE_IN_FUTURE,
    METER_INACTIVE,
    MONTH_CLOSED,
    PREVIOUSLY_REJECTED,
    READING_BILLED,
    Problem,
    ReadingRules,
    Snapshot,
)
from readings.zones import ALL_ZONES, zones_of

READING_COLUMNS = ("account_number", "meter_serial", "reading_date", "submitted_on", "channel", *ALL_ZONES)

ACCOUNT_UNKNOWN = "account_unknown"
METER_UNKNOWN = "meter_unknown"
METER_OF_OTHER_ACCOUNT = "meter_of_other_account"
SUBMITTED_BEFORE_READING = "submitted_before_reading"

# The column a rule's problem is about, when it is not a zone.
PROBLEM_COLUMNS = {
    METER_INACTIVE: "meter_serial",
    DATE_IN_FUTURE: "reading_date",
    DATE_BEFORE_INSTALLATION: "reading_date",
    DATE_BEFORE_PREVIOUS: "reading_date",
    MONTH_CLOSED: "reading_date",
    READING_BILLED: "reading_date",
}
WRITE_BATCH = 5_000
NEW_READING_COLUMNS = (
    "meter_id", "reading_date", "zone_set", *ALL_ZONES, "channel", "status", "reason", "submitted_at",
    "billing_month", "swap_corrected", "supersedes_id", "photo",
)  # fmt: skip
ACCEPTED, PENDING = ReadingStatus.ACCEPTED.value, ReadingStatus.PENDING_REVIEW.value
# Plain strings, looked up once: an enum's `.values` builds a new list on every call, and this runs per row.
CHANNELS = tuple(Channel.values)
CHANNEL_SET = frozenset(CHANNELS)
ZONE_CELLS = itemgetter(*ALL_ZONES)
ROW_CELLS = itemgetter("account_number", "meter_serial", "reading_date", "submitted_on", "channel")


class ReadingRow(NamedTuple):  # a tuple: built once per line of the file
    line: int
    account_number: str
    meter_serial: str
    reading_date: date
    submitted_on: date
    channel: str
    cells: tuple[str, ...]  # the zone cells as written, in ALL_ZONES order; "" for an empty cell


@dataclass
class ReadingsImportResult:
    errors: list[LineError] = field(default_factory=list)
    rows: int = 0
    accepted: int = 0
    pending_review: int = 0
    superseded: int = 0
    duplicates: int = 0
    previously_rejected: int = 0
    file_format: str = "portal"  # or obis-long / obis-wide (readings/imports/obis.py)
    skipped_registers: dict[str, int] = field(default_factory=dict)  # why -> registers, in OBIS files

    @property
    def created(self) -> int:
        return self.accepted + self.pending_review


def readings_import(*, source: bytes, today: date, now: datetime) -> ReadingsImportResult:
    """Check the whole file, then store its new readings in one transaction, or store nothing and return
    every error. `today` is the import day in the portal's time zone (no reading may be dated later)."""
    # Python's cycle collector waits (portal/collector.py): a 100,000-row file builds about a million small
    # tuples and dicts that live to the end and form no cycles, and the collector walked them again and
    # again, a third of the import's CPU (bench/RESULTS.md).
    with collector_paused():
        return _readings_import(source=source, today=today, now=now)


def _readings_import(*, source: bytes, today: date, now: datetime) -> ReadingsImportResult:
    headend = headend_file(source)  # an OBIS-coded head-end export, detected from its header
    errors: list[LineError] = headend.errors if headend else []
    result = ReadingsImportResult(errors=errors)
    if headend:
        result.file_format, result.skipped_registers = headend.shape, dict(headend.skipped)
    # Record by record: only the parsed rows are held (all the cells as read of 100,000 lines are ~100 MB).
    records = headend.records if headend else iter_records(source, READING_COLUMNS, errors)
    rows = []
    for record in records:
        result.rows += 1
        row = _parse(record, errors, today)
        if row is not None:
            rows.append(row)
    del records, headend
    with transaction.atomic():
        # The planner prices a statement over 100,000 meters above jit_above_cost and compiled it with
        # LLVM for 0.8 s of the backend's CPU, more than the statement itself took (EXPLAIN ANALYZE).
        set_local(jit=BATCH["jit"])
        rows_by_meter, meters = _resolve(rows, errors)
        several_rows = {pk for pk, meter_rows in rows_by_meter.items() if len(meter_rows) > 1}
        first_dates = {pk: meter_rows[0].reading_date for pk, meter_rows in rows_by_meter.items()}
        for pk in several_rows:
            first_dates[pk] = min(row.reading_date for row in rows_by_meter[pk])
        lookback_days = settings.READING_AVERAGE_LOOKBACK_DAYS
        histories = meter_histories(meters, first_dates, several_rows, lookback_days=lookback_days)
        districts = District.objects.in_bulk({meter.district_id for meter in meters.values()})
        judge = _Judge(
            today=today, now=now, rules=reading_rules(), lookback_days=lookback_days, result=result, districts=districts
        )
        if connection.vendor == "postgresql" and not errors:
            deferred = _judge_while_copying(judge, rows_by_meter, histories)
        else:
            for pk, meter_rows in rows_by_meter.items():
                judge.meter_rows(histories[pk], meter_rows)
            deferred = judge.new_readings
        judge.name_problems()
        if errors:
            result.errors = in_file_order(errors, READING_COLUMNS)
            return result
        superseded = sorted(judge.superseded_ids)
        # Before their inserts: the partial unique index allows one current reading per meter and date.
        readings_supersede(superseded, now)
        readings_insert(deferred)
        result.superseded = len(superseded)
    return result


class _Refused(Exception):
    """A row the rules refuse was found while the file's readings were being copied: store none of them."""


SUPERSEDES = NEW_READING_COLUMNS.index("supersedes_id")


def _judge_while_copying(judge: "_Judge", rows_by_meter: dict, histories: dict) -> list[tuple]:
    """Judge meter by meter and COPY each new reading as soon as it is judged, so PostgreSQL stores (indexes,
    WAL) while Python judges the next meters: the two overlap on two cores instead of taking turns. A file
    with a refused row stores nothing: the COPY is aborted and its savepoint rolled back, and judging goes
    on so every bad line is still named. Readings that replace a stored one of the same day are returned to
    be inserted after the supersession (the partial unique index)."""
    errors, deferred, written = judge.result.errors, [], 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with _readings_copy(cursor) as copy:
                for pk, meter_rows in rows_by_meter.items():
                    judge.meter_rows(histories[pk], meter_rows)
                    if errors or judge.problems:
                        continue  # nothing more is copied; the rows are still judged to name every problem
                    new = judge.new_readings
                    for row in new[written:]:
                        if row[SUPERSEDES] is None:
                            copy.write_row(row)
                        else:
                            deferred.append(row)
                    written = len(new)
                if errors or judge.problems:
                    raise _Refused
    except _Refused:
        pass
    return deferred


def readings_supersede(ids: list[int], now: datetime) -> None:
    """Mark the readings the file corrects superseded: one UPDATE with an array on PostgreSQL."""
    if connection.vendor == "postgresql":
        if ids:
            with connection.cursor() as cursor:
                table = Reading._meta.db_table
                cursor.execute(f"UPDATE {table} SET superseded_at = %s WHERE id = ANY(%s)", [now, ids])
        return
    for start in range(0, len(ids), WRITE_BATCH):
        Reading.objects.filter(pk__in=ids[start : start + WRITE_BATCH]).update(superseded_at=now)


def readings_insert(rows: list[tuple]) -> None:
    """The file's new readings (rows of NEW_READING_COLUMNS): by COPY on PostgreSQL, as billing/run/writes.py
    writes charges (bulk_create spent 44 % of a 100,000-row import building model instances and SQL); the
    indexes and constraints still check every row. bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        readings = [Reading(**dict(zip(NEW_READING_COLUMNS, row, strict=True))) for row in rows]
        Reading.objects.bulk_create(readings, batch_size=WRITE_BATCH)
        return
    with connection.cursor() as cursor, _readings_copy(cursor) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def _readings_copy(cursor):
    """A COPY into readings_reading of rows of NEW_READING_COLUMNS. Binary: the server reads dates,
    timestamps and numbers without parsing text (less backend CPU)."""
    columns = ", ".join(NEW_READING_COLUMNS)
    with cursor.cursor.copy(f"COPY {Reading._meta.db_table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_column_types())
        yield copy


PG_TYPE_NAMES = {"bigint": "int8", "integer": "int4", "smallint": "int2", "boolean": "bool"}


def _column_types() -> list[str]:
    """PostgreSQL's names for the types of NEW_READING_COLUMNS, from the model (binary COPY needs them)."""
    names = []
    for column in NEW_READING_COLUMNS:
        field = Reading._meta.get_field(column.removesuffix("_id"))
        db_type = field.target_field.rel_db_type(connection) if field.is_relation else field.db_type(connection)
        db_type = db_type.split("(")[0].replace("timestamp with time zone", "timestamptz")
        names.append(PG_TYPE_NAMES.get(db_type, db_type))
    return names


def _parse(record, errors: list[LineError], today: date) -> ReadingRow | None:
    """The row's own cells; the zone values are checked later, against the meter's zones and digits."""
    cells = record.cells
    account_number, serial, day, submitted, channel = ROW_CELLS(cells)
    # Nearly every line of a head-end file is well formed: checked here in one expression. Anything else
    # (or a date that is not a day) goes through `Cells` below, which names each problem.
    if (
        ACCOUNT_NUMBER.match(account_number)
        and METER_SERIAL.match(serial)  # at most 32 characters, as Cells.text checks
        and channel in CHANNEL_SET
        and ISO_DATE.match(day)
        and (submitted == "" or ISO_DATE.match(submitted))
    ):
        try:
            reading_date = date.fromisoformat(day)
            submitted_on = date.fromisoformat(submitted) if submitted else reading_date
        except ValueError:
            pass
        else:
            if not submitted or reading_date <= submitted_on <= today:
                return ReadingRow(
                    record.line, account_number, serial, reading_date, submitted_on, channel, ZONE_CELLS(cells)
                )
    return _parse_reporting(record, errors, today)


def _parse_reporting(record, errors: list[LineError], today: date) -> ReadingRow | None:
    """`_parse` cell by cell, each problem reported against its line and column."""
    cells = Cells(record, errors)
    account_number = cells.text("account_number", max_length=20, pattern=ACCOUNT_NUMBER, rule="4 to 20 digits")
    serial = cells.text("meter_serial", max_length=32, pattern=METER_SERIAL, rule="letters, digits or -")
    reading_date = cells.day("reading_date")
    submitted_on = cells.day("submitted_on", required=False)
    channel = cells.choice("channel", CHANNELS)
    if submitted_on and reading_date and submitted_on < reading_date:
        message = f"submitted on {submitted_on:%Y-%m-%d}, before the reading date {reading_date:%Y-%m-%d}"
        cells.fail("submitted_on", SUBMITTED_BEFORE_READING, message)
    elif submitted_on and submitted_on > today:
        cells.fail("submitted_on", DATE_IN_FUTURE, f"{submitted_on:%Y-%m-%d} is in the future")
    if not cells.ok:
        return None
    # An empty submitted_on means the reading date (a reading dated in the future is the rules' to refuse).
    submitted_on = submitted_on or reading_date
    zone_cells = ZONE_CELLS(record.cells)
    return ReadingRow(record.line, account_number, serial, reading_date, submitted_on, channel, zone_cells)


def _resolve(
    rows: list[ReadingRow], errors: list[LineError]
) -> tuple[dict[int, list[ReadingRow]], dict[int, ImportMeter]]:
    """The rows of each known meter that is on the account the row names; the meters locked, by serial."""
    serials = sorted({row.meter_serial for row in rows})
    meters = _locked_meters_sql(serials) if connection.vendor == "postgresql" else _locked_meters_orm(serials)
    rows_by_meter: dict[int, list[ReadingRow]] = defaultdict(list)
    strays = []  # rows whose meter is unknown or on another account
    for row in rows:
        meter = meters.get(row.meter_serial)
        if meter is None or meter.account_number != row.account_number:
            strays.append(row)
        else:
            rows_by_meter[meter.pk].append(row)
    known_accounts = set()
    numbers = sorted({row.account_number for row in strays})
    for start in range(0, len(numbers), CHUNK):
        known_accounts.update(
            PersonalAccount.objects.filter(number__in=numbers[start : start + CHUNK]).values_list("number", flat=True)
        )
    for row in strays:
        if row.account_number not in known_accounts:
            message = f"there is no account {row.account_number}"
            errors.append(LineError(row.line, "account_number", ACCOUNT_UNKNOWN, message))
        if row.meter_serial not in meters:
            errors.append(LineError(row.line, "meter_serial", METER_UNKNOWN, f"there is no meter {row.meter_serial}"))
        elif row.account_number in known_accounts:
            message = f"meter {row.meter_serial} is on account {_account_of(meters, row)}, not {row.account_number}"
            errors.append(LineError(row.line, "meter_serial", METER_OF_OTHER_ACCOUNT, message))
    return rows_by_meter, {meter.pk: meter for meter in meters.values() if meter.pk in rows_by_meter}


def _locked_meters_orm(serials: list[str]) -> dict[str, ImportMeter]:
    meters: dict[str, ImportMeter] = {}
    for start in range(0, len(serials), CHUNK):
        # Locked in serial order, as reading_submit locks its meter: no reading slips in between check and write.
        locked = (
            Meter.objects.select_related("account")
            .select_for_update(of=("self",))
            .filter(serial_number__in=serials[start : start + CHUNK])
            .order_by("serial_number")
        )
        meters.update({meter.serial_number: ImportMeter.of(meter) for meter in locked})
    return meters


def _locked_meters_sql(serials: list[str]) -> dict[str, ImportMeter]:
    """The file's meters with their accounts, locked in serial order (two imports never wait on each other
    in a cycle), in one statement: the serials go as one array parameter."""
    install = ", ".join(f"m.install_{zone}" for zone in ALL_ZONES)
    accounts = Meter._meta.get_field("account").related_model._meta.db_table
    sql = f"""
        SELECT m.id, m.serial_number, a.number, a.district_id, a.is_active, m.zone_set, m.register_digits,
               m.multiplier, m.installed_on, m.removed_on, {install}
        FROM {Meter._meta.db_table} m JOIN {accounts} a ON a.id = m.account_id
        WHERE m.serial_number = ANY(%s::text[])
        ORDER BY m.serial_number
        FOR UPDATE OF m
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [array_literal(serials)])  # serials match METER_SERIAL: no quotes
        return _import_meters(batches(cursor))


def _import_meters(found) -> dict[str, ImportMeter]:
    """The rows of `_locked_meters_sql`, one at a time (fetchall would hold them all as tuples at once)."""
    meters: dict[str, ImportMeter] = {}
    infos: dict[tuple, MeterInfo] = {}  # meters of one kind share one MeterInfo (it is frozen)
    for pk, serial, number, district_id, account_active, zone_set, digits, multiplier, *rest in found:
        installed_on, removed_on, *install = rest
        key = (zone_set, digits, multiplier, installed_on, removed_on, account_active, *install)
        info = infos.get(key)
        if info is None:
            zones = zones_of(zone_set)
            named = dict(zip(ALL_ZONES, install, strict=True))
            info = MeterInfo(
                zones=zones,
                zone_set=zone_set,
                register_digits=digits,
                multiplier=multiplier,
                installed_on=installed_on,
                installation_values={zone: named[zone] for zone in zones},
                removed_on=removed_on,
                account_active=account_active,
            )
            infos[key] = info
        meters[serial] = ImportMeter(pk, serial, number, district_id, zone_set, info)
    return meters


def _account_of(meters: dict[str, ImportMeter], row: ReadingRow) -> str:
    return meters[row.meter_serial].account_number


class _Judge:
    """Applies the rows of each meter in date order, collecting new readings, supersessions and errors."""

    def __init__(
        self,
        *,
        today: date,
        now: datetime,
        rules: ReadingRules,
        lookback_days: int,
        result,
        districts: dict[int, District],
    ):
        self.today = today
        self.now = now
        self.rules = rules
        self.lookback_days = lookback_days
        self.result = result
        self.closed_through = last_closed_month()
        self.portal_zone = timezone.get_default_timezone()
        # Many rows share a district and a submission day: work out each billing month once.
        self.billing_months: dict[tuple[int, date], date] = {}
        self.new_readings: list[tuple] = []  # rows of NEW_READING_COLUMNS
        self.submitted_at: dict[date, datetime] = {}
        self.superseded_ids: set[int] = set()
        self.districts = districts
        self.problems: list[tuple[ReadingRow, int, Problem]] = []  # named once every row is judged

    def fail(self, row: ReadingRow, column: str, code: str, message: str) -> None:
        self.result.errors.append(LineError(row.line, column, code, message))

    def meter_rows(self, history: MeterHistory, rows: list[ReadingRow]) -> None:
        if len(rows) == 1:  # most meters: nothing to order, and no later row needs the history kept up
            self.row(history, rows[0], last=True)
            return
        first_line: dict[date, int] = {}
        for row in sorted(rows, key=lambda row: (row.reading_date, row.line)):
            earlier = first_line.setdefault(row.reading_date, row.line)
            if earlier != row.line:
                message = f"meter {row.meter_serial} has a row for {row.reading_date:%Y-%m-%d} on line {earlier}"
                self.fail(row, "reading_date", DUPLICATE_IN_FILE, message)
                continue
            self.row(history, row)

    def row(self, history: MeterHistory, row: ReadingRow, *, last: bool = False) -> None:
        """Judge one row; unless it is the meter's `last` row in the file, apply it to the history."""
        meter = history.meter
        day = row.reading_date
        same_day = history.current.get(day)
        rejected = history.rejected.get(day)
        previous, lookback_start = history.last_and_lookback_start(day, lookback_days=self.lookback_days)
        facts = SubmissionFacts(
            meter=history.info,
            same_day=StoredDay(same_day.id, same_day.values, same_day.billing_month, same_day.billed)
            if same_day is not None
            else None,
            rejected=tuple((values, "") for values in rejected) if rejected else (),
            latest_accepted_date=history.latest_accepted_date(),
            last=previous,
            lookback_start=lookback_start,
            closed_through=self.closed_through,
            window=None,  # a strict submission window never refuses an import
        )
        # A row is judged as entered: no one is there to answer "did you swap day and night?".
        cells = dict(zip(ALL_ZONES, row.cells, strict=True))
        submission = Submission(cells, day, row.channel, today=self.today, swap_confirmed=False)
        decision = decide(facts, submission, rules=self.rules, lookback_days=self.lookback_days)
        if decision.status == DUPLICATE:
            self.result.duplicates += 1
            return
        if decision.status == REJECTED and decision.problems[0].code == PREVIOUSLY_REJECTED:
            # Skipped, not an error: importing the file again must not fail on what staff decided.
            self.result.previously_rejected += 1
            return
        if not decision.stores:
            self.problems.extend((row, meter.pk, problem) for problem in decision.problems)
            return
        if same_day is not None:
            self.superseded_ids.add(same_day.id)
            if not last:
                history.remove_accepted(day)
        if decision.status == PENDING_REVIEW:
            self.result.pending_review += 1
        else:
            self.result.accepted += 1
            if not last:
                history.add_accepted(Snapshot(decision.values, day))
        values = decision.values
        self.new_readings.append(
            (
                meter.pk,
                day,
                meter.zone_set,
                *map(values.get, ALL_ZONES),
                row.channel,
                PENDING if decision.status == PENDING_REVIEW else ACCEPTED,
                "",
                self._submitted_at(row.submitted_on),
                self._billing_month(meter, row.submitted_on),
                False,
                same_day.id if same_day is not None else None,
                "",
            )
        )

    def _submitted_at(self, submitted_on: date) -> datetime:
        if submitted_on not in self.submitted_at:
            noon = datetime.combine(submitted_on, time(12))
            self.submitted_at[submitted_on] = timezone.make_aware(noon, self.portal_zone)
        return self.submitted_at[submitted_on]

    def _billing_month(self, meter: ImportMeter, submitted_on: date) -> date:
        key = (meter.district_id, submitted_on)
        if key not in self.billing_months:
            window = self.districts[meter.district_id].window
            self.billing_months[key] = window.billing_month(submitted_on, closed_through=self.closed_through)
        return self.billing_months[key]

    def name_problems(self) -> None:
        """The rules' problems as line errors; the messages name the meter's register labels, so the meters
        with problems (few: a file with errors stores nothing) are read as model instances here."""
        meters = Meter.objects.in_bulk({pk for _, pk, _ in self.problems})
        for row, pk, problem in self.problems:
            self._problem(row, meters[pk], problem)

    def _problem(self, row: ReadingRow, meter: Meter, problem: Problem) -> None:
        params = problem.params
        if problem.code == MONTH_CLOSED:
            message = (
                f"a different reading for this date bills {params['month']:%Y-%m}, a month already "
                "closed; it can no longer be changed"
            )
        elif problem.code == READING_BILLED:
            message = (
                f"the meter's reading for {params['reading_date']:%Y-%m-%d} has been used by a charge; only a row "
                "with channel staff may correct it"
            )
        elif problem.code == DATE_BEFORE_PREVIOUS and params.get("staff_only"):
            message = (
                f"the meter already has an accepted reading dated {params['previous_date']:%Y-%m-%d}; an earlier "
                "reading can be added only with channel staff"
            )
        else:
            with translation.override("en"):
                message = problem_message(problem, meter)
        self.fail(row, problem.zone or PROBLEM_COLUMNS.get(problem.code, ""), problem.code, message)
