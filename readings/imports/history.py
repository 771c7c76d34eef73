"""What the reading rules need to know about many meters at once, read in a fixed number of queries.

`readings.services.submission_facts` asks, for one meter and one date D: the last accepted current reading
before D (L, else the installation) and the earliest accepted reading within
READING_AVERAGE_LOOKBACK_DAYS before L (for the usual daily use). An import asks that for every row,
and its rows move L forward as they are applied in date order. With F = a meter's first date in the
file, everything those questions can reach is:

1. the anchor: the last accepted current reading before F (one index probe per meter);
2. the lookback before the anchor: for a meter with one row in the file only its earliest accepted
   reading there (the one row's lookback); for a meter with several rows every accepted reading there,
   because later rows look back from later dates;
3. every non-superseded reading on or after F: readings the file repeats, corrects, or must not
   pass (a later accepted reading), and the previous readings of later rows.

On PostgreSQL all three are one statement over the whole file, the meters and their dates passed as
arrays (`unnest`), read as plain tuples: a 100,000-row import spent most of its time in the ORM, resolving
the parameters of `__in` lists and building model instances (bench/RESULTS.md). Elsewhere (SQLite) the ORM
asks the same, one query per chunk of meters with per-meter dates grouped by date; both fill the same
`MeterHistory`, and tests/readings/test_imports_roundtrip.py checks them against `reading_submit`'s facts.
"""

import operator
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import reduce
from operator import itemgetter
from types import MappingProxyType
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, DateField, OuterRef, Q, Subquery, Value, When

from readings import policy
from readings.models import Meter, Reading, ReadingStatus
from readings.policy import MeterInfo
from readings.services import meter_info, used_by_a_charge
from readings.validation import MeterFacts, ReadingRules, Snapshot
from readings.zones import ALL_ZONES, ZONE_SETS

NOTHING: Mapping = MappingProxyType({})
CHUNK = 5_000  # meters per query: well inside PostgreSQL's and SQLite's limits on parameters
ACCEPTED, REJECTED = ReadingStatus.ACCEPTED.value, ReadingStatus.REJECTED.value  # plain strings: compared per row
ACCEPTED_CURRENT = Q(status=ACCEPTED, superseded_at__isnull=True)
FIELDS = ("id", "meter_id", "reading_date", "status", "billing_month", "zone_set", *ALL_ZONES)
BILLED = len(FIELDS)  # where `billed` follows FIELDS, when it is read


def _values_of(zones: tuple[str, ...]):
    """The zone values of a row of FIELDS for a meter with `zones`: a tuple lookup, not a loop per row."""
    positions = [FIELDS.index(zone) for zone in zones]
    if len(zones) == 1:
        zone, position = zones[0], positions[0]
        return lambda row: {zone: row[position]}
    cells = itemgetter(*positions)
    return lambda row: dict(zip(zones, cells(row), strict=True))


VALUES_OF = {zone_set: _values_of(zones) for zone_set, zones in ZONE_SETS.items()}


class ImportMeter(NamedTuple):
    """A meter as the import needs it: where its rows must point, and the policy's `MeterInfo`. A tuple: one
    per meter of the file."""

    pk: int
    serial: str
    account_number: str
    district_id: int
    zone_set: str
    info: MeterInfo

    @classmethod
    def of(cls, meter: Meter) -> "ImportMeter":
        """From a model instance whose account is loaded (the ORM path)."""
        account = meter.account
        info = meter_info(meter)
        return cls(meter.pk, meter.serial_number, account.number, account.district_id, meter.zone_set, info)


class StoredReading(NamedTuple):  # a tuple: one per reading the file reaches
    id: int
    meter_id: int
    reading_date: date
    status: str
    billing_month: date
    values: dict[str, int]
    billed: bool = False  # a charge has used it (read only where a file may correct it)

    @classmethod
    def from_row(cls, row: tuple) -> "StoredReading":
        """From a row of FIELDS, optionally followed by `billed`."""
        billed = len(row) > BILLED and bool(row[BILLED])
        return cls(row[0], row[1], row[2], row[3], row[4], VALUES_OF[row[5]](row), billed)


class MeterHistory:
    """One meter's readings as far as the file can reach them; grows as the file's rows are applied."""

    __slots__ = ("meter", "info", "_accepted", "_dates", "current", "rejected")

    def __init__(self, meter: ImportMeter):
        self.meter = meter
        self.info = meter.info
        self._accepted: dict[date, Snapshot] = {}  # current accepted readings, one per date
        self._dates: list[date] = []  # their dates, sorted
        # Stored current readings on or after F (any status), and the values staff rejected there: most meters
        # have none, so they share one empty mapping until they do.
        self.current: Mapping[date, StoredReading] = NOTHING
        self.rejected: Mapping[date, list[dict[str, int]]] = NOTHING

    def add_stored(self, reading: StoredReading) -> None:
        if reading.status == REJECTED:
            if self.rejected is NOTHING:
                self.rejected = {}
            self.rejected.setdefault(reading.reading_date, []).append(reading.values)
            return
        if reading.status == ACCEPTED:
            self.add_accepted(Snapshot(reading.values, reading.reading_date))

    def add_current(self, reading: StoredReading) -> None:
        """A stored reading on or after F that is not rejected: the file may repeat or correct it."""
        if self.current is NOTHING:
            self.current = {}
        self.current[reading.reading_date] = reading

    def add_accepted(self, snapshot: Snapshot) -> None:
        if snapshot.reading_date not in self._accepted:
            insort(self._dates, snapshot.reading_date)
        self._accepted[snapshot.reading_date] = snapshot

    def remove_accepted(self, day: date) -> None:
        if self._accepted.pop(day, None) is not None:
            self._dates.remove(day)

    def latest_accepted_date(self) -> date | None:
        return self._dates[-1] if self._dates else None

    def last_and_lookback_start(self, before: date, *, lookback_days: int) -> tuple[Snapshot | None, Snapshot | None]:
        """L before `before` and the earliest accepted reading in the lookback before L, from memory (as
        readings.services asks the database for one meter)."""
        index = bisect_left(self._dates, before)
        last = self._accepted[self._dates[index - 1]] if index else None
        previous_date = last.reading_date if last else self.info.installed_on
        index = bisect_left(self._dates, previous_date - timedelta(days=lookback_days))
        start = None
        if index < len(self._dates) and self._dates[index] < previous_date:
            start = self._accepted[self._dates[index]]
        return last, start

    def facts(self, before: date, *, lookback_days: int, rules: ReadingRules) -> MeterFacts:
        """MeterFacts exactly as readings.services.meter_facts builds them, from what is in memory."""
        last, start = self.last_and_lookback_start(before, lookback_days=lookback_days)
        return policy.meter_facts(
            self.info, reading_date=before, last=last, lookback_start=start, lookback_days=lookback_days, rules=rules
        )


def meter_histories(
    meters: dict[int, ImportMeter], first_dates: dict[int, date], several_rows: set[int], *, lookback_days: int
) -> dict[int, MeterHistory]:
    """The histories of `meters` (by id), given each meter's first date in the file."""
    histories = {pk: MeterHistory(meter) for pk, meter in meters.items()}
    if connection.vendor == "postgresql":
        _fill_from_sql(histories, first_dates, several_rows, lookback_days=lookback_days)
        return histories
    ids = sorted(meters)
    for start in range(0, len(ids), CHUNK):
        firsts = {pk: first_dates[pk] for pk in ids[start : start + CHUNK]}
        anchors = {reading.meter_id: reading for reading in _anchors(firsts)}
        lookback_from = {pk: anchor.reading_date - timedelta(days=lookback_days) for pk, anchor in anchors.items()}
        before_anchor = {pk: anchor.reading_date for pk, anchor in anchors.items()}
        single = {pk: day for pk, day in before_anchor.items() if pk not in several_rows}
        several = {pk: day for pk, day in before_anchor.items() if pk in several_rows}
        found = [
            *anchors.values(),
            *_earliest_in(single, lookback_from),
            *_all_in(several, lookback_from),
        ]
        for reading in found:
            histories[reading.meter_id].add_stored(reading)
        for reading in _on_or_after(firsts):
            histories[reading.meter_id].add_stored(reading)
            if reading.status != REJECTED:
                histories[reading.meter_id].add_current(reading)
    return histories


def _history_sql() -> str:
    readings = Reading._meta.db_table
    charges = Reading._meta.get_field("charges").related_model._meta.db_table  # billing's table, by relation
    columns = ", ".join(f"r.{name}" for name in FIELDS)
    counted = f"r.status = '{ACCEPTED}' AND r.superseded_at IS NULL"
    # The anchor is ordered by date alone: reading_one_current_per_meter_date allows one current accepted
    # reading per meter and date, and the index then gives the order (no sort per meter; the ORM's
    # "-reading_date, -submitted_at" picks the same row). The lookback of a meter with one row needs only
    # its earliest reading; LIMIT NULL is no limit.
    return f"""
WITH f AS (
    SELECT * FROM unnest(%(meters)s::bigint[], %(firsts)s::date[], %(several)s::boolean[])
        AS f(meter_id, first, several)
), anchor AS (
    SELECT f.several, a.* FROM f CROSS JOIN LATERAL (
        SELECT {columns} FROM {readings} r
        WHERE r.meter_id = f.meter_id AND {counted} AND r.reading_date < f.first
        ORDER BY r.reading_date DESC LIMIT 1
    ) a
)
SELECT {", ".join(FIELDS)}, false, false FROM anchor
UNION ALL
SELECT l.*, false, false FROM anchor CROSS JOIN LATERAL (
    SELECT {columns} FROM {readings} r
    WHERE r.meter_id = anchor.meter_id AND {counted}
      AND r.reading_date >= anchor.reading_date - %(lookback)s::integer AND r.reading_date < anchor.reading_date
    ORDER BY r.reading_date LIMIT CASE WHEN anchor.several THEN NULL ELSE 1 END
) l
UNION ALL
SELECT {columns}, EXISTS (SELECT 1 FROM {charges} c WHERE c.reading_id = r.id), true
FROM f JOIN {readings} r ON r.meter_id = f.meter_id AND r.reading_date >= f.first AND r.superseded_at IS NULL
"""


HISTORY_SQL = None  # built on first use: the apps must be loaded


def array_literal(values: Iterable) -> str:
    """A PostgreSQL array literal of plain values (integers, ISO dates, booleans, meter serials: none holds
    a quote or a backslash, none is empty), each quoted so that no value reads as NULL. Joined here in one pass: psycopg
    quotes a list parameter element by element in Python, about 0.1 s per 100,000 (bench/RESULTS.md)."""
    inner = '","'.join(map(str, values))
    return '{"' + inner + '"}' if inner else "{}"


def _fill_from_sql(
    histories: dict[int, MeterHistory], first_dates: dict[int, date], several_rows: set[int], *, lookback_days: int
) -> None:
    """The three parts above in one statement (PostgreSQL); each row says whether it is on or after F."""
    global HISTORY_SQL
    if HISTORY_SQL is None:
        HISTORY_SQL = _history_sql()
    ids = list(histories)
    params = {
        "meters": array_literal(ids),
        "firsts": array_literal(map(first_dates.__getitem__, ids)),
        "several": array_literal(pk in several_rows for pk in ids),
        "lookback": lookback_days,
    }
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, params)
        for row in batches(cursor):  # fetchall would hold 100,000 more tuples at once (~50 MB)
            reading = StoredReading.from_row(row[:-1])
            history = histories[reading.meter_id]
            history.add_stored(reading)
            if row[-1] and reading.status != REJECTED:
                history.add_current(reading)


def batches(cursor, size: int = 5_000):
    """A cursor's rows, fetched `size` at a time: iterating the cursor itself costs a Python call per row."""
    while rows := cursor.fetchmany(size):
        yield from rows


def _per_meter(dates: dict[int, date]) -> Case:
    """A date per meter as an SQL expression; meters that share a date share one WHEN."""
    return Case(*(When(pk__in=pks, then=Value(day)) for day, pks in _by_date(dates)), output_field=DateField())


def _by_date(dates: dict[int, date]) -> list[tuple[date, list[int]]]:
    grouped: dict[date, list[int]] = defaultdict(list)
    for pk, day in dates.items():
        grouped[day].append(pk)
    return sorted(grouped.items())


def _stored(queryset, *extra: str) -> list[StoredReading]:
    # No ORDER BY: Reading.Meta.ordering would sort rows that MeterHistory files by date anyway.
    return [StoredReading.from_row(row) for row in queryset.order_by().values_list(*FIELDS, *extra)]


def _anchors(firsts: dict[int, date]) -> list[StoredReading]:
    last_before = (
        Reading.objects.filter(ACCEPTED_CURRENT, meter=OuterRef("pk"), reading_date__lt=OuterRef("first_date"))
        .order_by("-reading_date", "-submitted_at")
        .values("pk")[:1]
    )
    anchor_ids = (
        Meter.objects.filter(pk__in=list(firsts))
        .annotate(first_date=_per_meter(firsts))
        .values(anchor_id=Subquery(last_before))
    )
    return _stored(Reading.objects.filter(pk__in=anchor_ids))


def _earliest_in(before: dict[int, date], since: dict[int, date]) -> list[StoredReading]:
    """Per meter, the earliest accepted current reading in [since, before)."""
    if not before:
        return []
    earliest = (
        Reading.objects.filter(
            ACCEPTED_CURRENT,
            meter=OuterRef("pk"),
            reading_date__gte=OuterRef("since"),
            reading_date__lt=OuterRef("before"),
        )
        .order_by("reading_date")
        .values("pk")[:1]
    )
    start_ids = (
        Meter.objects.filter(pk__in=list(before))
        .annotate(since=_per_meter({pk: since[pk] for pk in before}), before=_per_meter(before))
        .values(start_id=Subquery(earliest))
    )
    return _stored(Reading.objects.filter(pk__in=start_ids))


def _all_in(before: dict[int, date], since: dict[int, date]) -> list[StoredReading]:
    """Per meter, every accepted current reading in [since, before); since follows from before."""
    if not before:
        return []
    ranges = (
        Q(meter_id__in=pks, reading_date__gte=since[pks[0]], reading_date__lt=day) for day, pks in _by_date(before)
    )
    return _stored(Reading.objects.filter(ACCEPTED_CURRENT).filter(reduce(operator.or_, ranges)))


def _on_or_after(firsts: dict[int, date]) -> list[StoredReading]:
    """Per meter, every reading not superseded (rejected ones too) dated on or after its first date in the file."""
    ranges = (Q(meter_id__in=pks, reading_date__gte=day) for day, pks in _by_date(firsts))
    found = Reading.objects.filter(superseded_at__isnull=True).filter(reduce(operator.or_, ranges))
    return _stored(found.annotate(billed=used_by_a_charge()), "billed")
