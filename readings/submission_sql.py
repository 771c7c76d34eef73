"""A reading submission in two statements on PostgreSQL: every fact with the meter's row locked, then the write.

`readings.services.reading_submit` uses this on PostgreSQL and the ORM queries (`services.submission_facts`)
elsewhere; both produce the same `policy.SubmissionFacts`, and the same tests run on both backends. Why SQL
here: at the month-end peak the submission is the endpoint that matters, and each ORM statement cost about
0.9 ms of Python and a round trip (bench/RESULTS.md); the rules themselves cost 0.07 ms.

1. `fetch_facts`: one SELECT ... FOR UPDATE OF the meter (found by id, or by the account number and serial
   a caller reads off the bill, so the API pays no lookup before it), with its account and district, whose
   LATERAL subqueries read the reading that
   counts for the date (and whether a charge used it), the numbers staff rejected for it, the latest
   accepted date, L, the earliest reading in the lookback before L, and the last closed month. The closed
   month is read here rather than cached: a per-process cache would go stale in the other workers.
2. `insert_reading`: one INSERT (with the superseded reading's UPDATE in a CTE the INSERT waits for), ON
   CONFLICT DO NOTHING on the one-current-reading index, RETURNING the new id.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection

from readings.models import ClosedMonth, Meter, Reading, ReadingStatus
from readings.policy import MeterInfo, StoredDay, SubmissionFacts
from readings.validation import Snapshot
from readings.zones import ALL_ZONES

ZONE_COLUMNS = ", ".join(f"r.{zone}" for zone in ALL_ZONES)
ACCEPTED, REJECTED = ReadingStatus.ACCEPTED.value, ReadingStatus.REJECTED.value


def prepared_cursor():
    """A Django cursor (health check, query log, error wrapping) whose psycopg cursor binds parameters on the
    server: psycopg then prepares a statement it has run `prepare_threshold` times (5) on this connection,
    and PostgreSQL stops planning it per call. Planning the facts statement cost 0.75 ms of PostgreSQL's
    1.1 ms per submission (bench/RESULTS.md). Django's own cursors bind on the client (its default); only
    the submission's statements, written with their types, bind on the server (and the API's idempotency
    record, portal/api/idempotency.py). psycopg's prepared statements are protocol-level, which PgBouncer
    >= 1.21 supports in transaction mode (max_prepared_statements)."""
    import psycopg

    # As BaseDatabaseWrapper._cursor, with psycopg's server-binding cursor instead of Django's ClientCursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = psycopg.Cursor(connection.connection)
        if connection.timezone != _timestamptz_loader().timezone:  # as Django's create_cursor
            from django.db.backends.postgresql.psycopg_any import register_tzloader

            register_tzloader(connection.timezone, cursor)
        return connection._prepare_cursor(cursor)


def _timestamptz_loader():
    import psycopg
    from psycopg.pq import Format

    return connection.connection.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)


def _columns(model, alias: str) -> tuple[list[str], str]:
    """A model's concrete fields (attnames, in order) and its columns in a SELECT list."""
    fields = [field.attname for field in model._meta.concrete_fields]
    return fields, ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def _instance(model, fields: list[str], values):
    """A model instance from its row, as the ORM would build it (JSON fields decoded)."""
    values = list(values)
    for index, field in enumerate(model._meta.concrete_fields):
        if hasattr(field, "from_db_value") and values[index] is not None:
            values[index] = field.from_db_value(values[index], None, connection)
    return model.from_db("default", fields, values)


# The meter, by id (a caller that found it: the cabinet, the customer API, staff) or by the two numbers a
# caller can read off a bill and the meter (the integration API): the active meter with this serial
# (case-insensitive, as `selectors.meter_by_numbers`) on the active account with this number.
BY_ID = "m.id = %(meter)s"
BY_NUMBERS = (
    "a.number = %(number)s AND a.is_active AND m.removed_on IS NULL "
    "AND upper(m.serial_number::text) = upper(%(serial)s)"
)


def _facts_sql(where: str) -> str:
    readings = Reading._meta.db_table
    charges = Reading._meta.get_field("charges").related_model._meta.db_table  # billing's table, by relation
    account_model = Meter._meta.get_field("account").related_model
    district_model = account_model._meta.get_field("district").related_model
    counted = f"r.meter_id = m.id AND r.status = '{ACCEPTED}' AND r.superseded_at IS NULL"
    return f"""
SELECT {_columns(Meter, "m")[1]}, {_columns(account_model, "a")[1]}, {_columns(district_model, "d")[1]},
       sd.id, sd.billing_month, sd.billed, {", ".join(f"sd.{zone}" for zone in ALL_ZONES)},
       rj.rejected, lt.latest,
       l.reading_date, {", ".join(f"l.{zone}" for zone in ALL_ZONES)},
       e.reading_date, {", ".join(f"e.{zone}" for zone in ALL_ZONES)},
       (SELECT max(month) FROM {ClosedMonth._meta.db_table})
FROM {Meter._meta.db_table} m
JOIN {account_model._meta.db_table} a ON a.id = m.account_id
JOIN {district_model._meta.db_table} d ON d.id = a.district_id
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
WHERE {where}
FOR UPDATE OF m
"""


_SQL: dict[str, str] = {}  # built on first use: the apps must be loaded


def fetch_facts(
    *, reading_date: date, lookback_days: int, meter_id: int | None = None, numbers: tuple[str, str] | None = None
) -> tuple[Meter, SubmissionFacts] | None:
    """The meter (with its account and district) and the submission's facts, the meter's row locked to the
    end of the transaction; None when no meter matches. The facts' `window` is left to the caller (it
    depends on the district, which this statement reads)."""
    where = BY_ID if numbers is None else BY_NUMBERS
    if where not in _SQL:
        _SQL[where] = _facts_sql(where)
    params = {"day": reading_date, "lookback": lookback_days}
    if numbers is None:
        params["meter"] = meter_id
    else:
        params["number"], params["serial"] = numbers
    with prepared_cursor() as cursor:
        cursor.execute(_SQL[where], params)
        row = cursor.fetchone()
    if row is None:
        return None
    account_model = Meter._meta.get_field("account").related_model
    district_model = account_model._meta.get_field("district").related_model
    rest = list(row)
    built = []
    for model in (Meter, account_model, district_model):
        fields = _columns(model, "")[0]
        built.append(_instance(model, fields, rest[: len(fields)]))
        rest = rest[len(fields) :]
    meter, account, district = built
    account.district = district  # the ORM's related-object cache: no query when a caller follows them
    meter.account = account
    width = len(ALL_ZONES)
    same_id, same_month, same_billed, *rest = rest
    same_values, rest = rest[:width], rest[width:]
    rejected, latest, last_date, *rest = rest
    last_values, rest = rest[:width], rest[width:]
    start_date, *rest = rest
    start_values, closed_through = rest[:width], rest[width]
    zones = meter.zones

    def values(cells) -> dict[str, int]:
        named = dict(zip(ALL_ZONES, cells, strict=True))
        return {zone: named[zone] for zone in zones}

    facts = SubmissionFacts(
        meter=MeterInfo(
            zones=zones,
            zone_set=meter.zone_set,
            register_digits=meter.register_digits,
            multiplier=meter.multiplier,
            installed_on=meter.installed_on,
            installation_values=meter.installation_values,
            removed_on=meter.removed_on,
            account_active=account.is_active,
        ),
        same_day=StoredDay(same_id, values(same_values), same_month, same_billed) if same_id else None,
        rejected=tuple((values(cells[:width]), cells[width]) for cells in rejected or ()),
        latest_accepted_date=latest,
        last=Snapshot(values(last_values), last_date) if last_date else None,
        lookback_start=Snapshot(values(start_values), start_date) if start_date else None,
        closed_through=closed_through,
        window=None,
    )
    return meter, facts


READING_FIELDS = (
    "meter_id", "reading_date", "zone_set", *ALL_ZONES, "channel", "status", "reason", "submitted_by_id",
    "submitted_at", "billing_month", "swap_corrected", "supersedes_id", "superseded_at", "photo",
)  # fmt: skip


@dataclass(frozen=True)
class RowAfter:
    """A row of another table that the reading's own statement inserts, only when the reading is stored: the
    API's idempotency record (portal/api/idempotency.py), so a submission writes once instead of twice.
    `reading_id_in` is the jsonb column whose `{reading,id}` gets the new reading's id (its answer names
    the reading). The statement returns whether the row went in (False: ON CONFLICT, e.g. the key taken)."""

    table: str
    columns: tuple[str, ...]
    types: tuple[str, ...]  # each column's database type: the parameters are bound on the server
    params: tuple
    conflict: str  # "ON CONFLICT (...) DO NOTHING"
    reading_id_in: str


def _insert_sql(supersedes: bool, after: RowAfter | None) -> str:
    table = Reading._meta.db_table
    columns = ", ".join(READING_FIELDS)
    # Typed: the parameters are bound on the server, where an untyped one in a SELECT list would be text.
    typed = ", ".join(f"%s::{Reading._meta.get_field(name).db_type(connection)}" for name in READING_FIELDS)
    conflict = f"ON CONFLICT (meter_id, reading_date) WHERE superseded_at IS NULL AND status <> '{REJECTED}' DO NOTHING"
    if not supersedes:
        insert = f"INSERT INTO {table} ({columns}) VALUES ({typed}) {conflict} RETURNING id"
    else:
        # The INSERT reads the CTE, so the UPDATE has run (and left the partial unique index) before it.
        insert = (
            f"WITH superseded AS (UPDATE {table} SET superseded_at = %s::timestamptz WHERE id = %s::bigint "
            f"RETURNING id) INSERT INTO {table} ({columns}) SELECT {typed} FROM (SELECT count(*) FROM superseded) "
            f"done {conflict} RETURNING id"
        )
    if after is None:
        return insert
    values = ", ".join(
        f"jsonb_set(%s::{kind}, '{{reading,id}}', to_jsonb(new.id))" if column == after.reading_id_in else f"%s::{kind}"
        for column, kind in zip(after.columns, after.types, strict=True)
    )
    if supersedes:  # a data-modifying WITH nests only at the top: the UPDATE's CTE comes first
        head, _, rest = insert.partition(" INSERT INTO ")
        new = f"{head}, new AS (INSERT INTO {rest})"
    else:
        new = f"WITH new AS ({insert})"
    return (
        f"{new}, after AS (INSERT INTO {after.table} ({', '.join(after.columns)}) SELECT {values} FROM new "
        f"{after.conflict} RETURNING 1) SELECT (SELECT id FROM new), EXISTS (SELECT 1 FROM after)"
    )


_INSERT_SQL: dict[tuple, str] = {}


def insert_reading(
    reading: Reading, *, supersede_id: int | None, now: datetime, after: RowAfter | None = None
) -> tuple[int | None, bool]:
    """Store `reading` (and mark the reading it replaces superseded, and insert `after`) in one statement:
    its id, or None when a current reading for that meter and date already exists (the caller answers
    DUPLICATE); and whether `after` went in."""
    supersedes = supersede_id is not None
    shape = (supersedes, after and (after.table, after.columns, after.types, after.conflict, after.reading_id_in))
    if shape not in _INSERT_SQL:
        _INSERT_SQL[shape] = _insert_sql(supersedes, after)
    # Plain values: the choices enums as their strings, no photo (a photo goes through the ORM's storage).
    params = [getattr(reading, name) for name in READING_FIELDS[:-1]] + [""]
    params = [str(value) if isinstance(value, str) else value for value in params]
    if supersedes:
        params = [now, supersede_id, *params]
    if after is not None:
        params += after.params
    with prepared_cursor() as cursor:
        cursor.execute(_INSERT_SQL[shape], params)
        row = cursor.fetchone()
    if after is None:
        return (row[0] if row else None), False
    return row[0], row[1]
