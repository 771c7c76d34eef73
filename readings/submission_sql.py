"""A reading submission in two statements on PostgreSQL: every fact with the meter's row locked, then the write.

`readings.services.reading_submit` uses this on PostgreSQL and the ORM queries (`services.submission_facts`)
elsewhere; both produce the same `policy.SubmissionFacts`, and the same tests run on both backends. Why SQL
here: at the month-end peak the submission is the endpoint that matters, and each ORM statement cost about
0.9 ms of Python and a round trip (bench/RESULTS.md); the rules themselves cost 0.07 ms.

1. `fetch_facts`: one SELECT ... FOR UPDATE OF the meter, whose LATERAL subqueries read the reading that
   counts for the date (and whether a charge used it), the numbers staff rejected for it, the latest
   accepted date, L, the earliest reading in the lookback before L, and the last closed month. The closed
   month is read here rather than cached: a per-process cache would go stale in the other workers.
2. `insert_reading`: one INSERT (with the superseded reading's UPDATE in a CTE the INSERT waits for), ON
   CONFLICT DO NOTHING on the one-current-reading index, RETURNING the new id.
"""

from datetime import date, datetime

from django.db import connection

from readings.models import ClosedMonth, Meter, Reading, ReadingStatus
from readings.policy import MeterInfo, StoredDay, SubmissionFacts, WindowFacts
from readings.validation import Snapshot
from readings.zones import ALL_ZONES, zones_of

ZONE_COLUMNS = ", ".join(f"r.{zone}" for zone in ALL_ZONES)
ACCEPTED, REJECTED = ReadingStatus.ACCEPTED.value, ReadingStatus.REJECTED.value


def _facts_sql() -> str:
    readings = Reading._meta.db_table
    charges = Reading._meta.get_field("charges").related_model._meta.db_table  # billing's table, by relation
    accounts = Meter._meta.get_field("account").related_model._meta.db_table
    counted = f"r.meter_id = m.id AND r.status = '{ACCEPTED}' AND r.superseded_at IS NULL"
    install = ", ".join(f"m.install_{zone}" for zone in ALL_ZONES)
    return f"""
SELECT m.zone_set, m.register_digits, m.multiplier, m.installed_on, m.removed_on, {install}, a.is_active,
       sd.id, sd.billing_month, sd.billed, {", ".join(f"sd.{zone}" for zone in ALL_ZONES)},
       rj.rejected, lt.latest,
       l.reading_date, {", ".join(f"l.{zone}" for zone in ALL_ZONES)},
       e.reading_date, {", ".join(f"e.{zone}" for zone in ALL_ZONES)},
       (SELECT max(month) FROM {ClosedMonth._meta.db_table})
FROM {Meter._meta.db_table} m
JOIN {accounts} a ON a.id = m.account_id
LEFT JOIN LATERAL (
    SELECT r.id, r.billing_month, {ZONE_COLUMNS},
           EXISTS (SELECT 1 FROM {charges} c WHERE c.reading_id = r.id) AS billed
    FROM {readings} r
    WHERE r.meter_id = m.id AND r.reading_date = %(day)s AND r.superseded_at IS NULL AND r.status <> '{REJECTED}'
    LIMIT 1
) sd ON true
LEFT JOIN LATERAL (
    SELECT json_agg(json_build_array({ZONE_COLUMNS}, r.reason) ORDER BY r.submitted_at DESC) AS rejected
    FROM {readings} r
    WHERE r.meter_id = m.id AND r.reading_date = %(day)s AND r.status = '{REJECTED}'
) rj ON true
LEFT JOIN LATERAL (
    SELECT r.reading_date AS latest FROM {readings} r WHERE {counted} ORDER BY r.reading_date DESC LIMIT 1
) lt ON true
LEFT JOIN LATERAL (
    SELECT r.reading_date, {ZONE_COLUMNS} FROM {readings} r
    WHERE {counted} AND r.reading_date < %(day)s
    ORDER BY r.reading_date DESC, r.submitted_at DESC LIMIT 1
) l ON true
LEFT JOIN LATERAL (
    SELECT r.reading_date, {ZONE_COLUMNS} FROM {readings} r
    WHERE {counted}
      AND r.reading_date >= coalesce(l.reading_date, m.installed_on) - %(lookback)s::integer
      AND r.reading_date < coalesce(l.reading_date, m.installed_on)
    ORDER BY r.reading_date LIMIT 1
) e ON true
WHERE m.id = %(meter)s
FOR UPDATE OF m
"""


FACTS_SQL = None  # built on first use: the apps must be loaded


def fetch_facts(meter: Meter, *, reading_date: date, window: WindowFacts | None, lookback_days: int):
    """The submission's facts, and the meter row locked to the end of the transaction."""
    global FACTS_SQL
    if FACTS_SQL is None:
        FACTS_SQL = _facts_sql()
    with connection.cursor() as cursor:
        cursor.execute(FACTS_SQL, {"day": reading_date, "meter": meter.pk, "lookback": lookback_days})
        row = cursor.fetchone()
    if row is None:
        raise Meter.DoesNotExist(f"meter {meter.pk}")
    width = len(ALL_ZONES)
    zone_set, digits, multiplier, installed_on, removed_on, *rest = row
    install, rest = rest[:width], rest[width:]
    account_active, same_id, same_month, same_billed, *rest = rest
    same_values, rest = rest[:width], rest[width:]
    rejected, latest, last_date, *rest = rest
    last_values, rest = rest[:width], rest[width:]
    start_date, *rest = rest
    start_values, closed_through = rest[:width], rest[width]
    zones = zones_of(zone_set)

    def values(cells) -> dict[str, int]:
        named = dict(zip(ALL_ZONES, cells, strict=True))
        return {zone: named[zone] for zone in zones}

    facts = SubmissionFacts(
        meter=MeterInfo(
            zones=zones,
            zone_set=zone_set,
            register_digits=digits,
            multiplier=multiplier,
            installed_on=installed_on,
            installation_values=values(install),
            removed_on=removed_on,
            account_active=account_active,
        ),
        same_day=StoredDay(same_id, values(same_values), same_month, same_billed) if same_id else None,
        rejected=tuple((values(cells[:width]), cells[width]) for cells in rejected or ()),
        latest_accepted_date=latest,
        last=Snapshot(values(last_values), last_date) if last_date else None,
        lookback_start=Snapshot(values(start_values), start_date) if start_date else None,
        closed_through=closed_through,
        window=window,
    )
    return facts


READING_FIELDS = (
    "meter_id", "reading_date", "zone_set", *ALL_ZONES, "channel", "status", "reason", "submitted_by_id",
    "submitted_at", "billing_month", "swap_corrected", "supersedes_id", "superseded_at", "photo",
)  # fmt: skip


def insert_reading(reading: Reading, *, supersede_id: int | None, now: datetime) -> int | None:
    """Store `reading` (and mark the reading it replaces superseded) in one statement; its id, or None when
    a current reading for that meter and date already exists (the caller answers DUPLICATE)."""
    table = Reading._meta.db_table
    columns = ", ".join(READING_FIELDS)
    placeholders = ", ".join(["%s"] * len(READING_FIELDS))
    # Plain values: the choices enums as their strings, no photo (a photo goes through the ORM's storage).
    params = [getattr(reading, name) for name in READING_FIELDS[:-1]] + [""]
    params = [str(value) if isinstance(value, str) else value for value in params]
    conflict = f"ON CONFLICT (meter_id, reading_date) WHERE superseded_at IS NULL AND status <> '{REJECTED}' DO NOTHING"
    if supersede_id is None:
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) {conflict} RETURNING id"
    else:
        # The INSERT reads the CTE, so the UPDATE has run (and left the partial unique index) before it.
        sql = (
            f"WITH superseded AS (UPDATE {table} SET superseded_at = %s WHERE id = %s RETURNING id) "
            f"INSERT INTO {table} ({columns}) SELECT {placeholders} FROM (SELECT count(*) FROM superseded) done "
            f"{conflict} RETURNING id"
        )
        params = [now, supersede_id, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
