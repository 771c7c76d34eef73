"""Reads of the monthly run: what every meter of a chunk needs for its decision, as plain values, and the
tariffs, norms and rules in force."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import PersonalAccount
from billing.estimates import Snapshot, months_before
from billing.models import ESTIMATE_BASES, BillingChunk, BillingRun, Charge, MeterBillingState, Norm, Tariff
from billing.run.plan import PASS_FINAL, MeterInput, OpenEstimate, Rules
from billing.tariffs.versions import TariffVersion
from readings.models import Meter, Reading, ReadingStatus
from readings.zones import ALL_ZONES, zones_of

ZONE_INDEX = {zone: index for index, zone in enumerate(ALL_ZONES)}


def value_rows(queryset) -> list[tuple]:
    """The rows of a `values_list` queryset as the driver's tuples, without Django's per-row iterator and
    converters (a chunk reads tens of thousands of rows). On PostgreSQL the driver's types are the fields'
    (dates, Decimals), except JSON, which comes as its text; elsewhere the queryset runs as it is."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def billing_rules() -> Rules:
    return Rules(
        cap=settings.ESTIMATE_AVERAGE_MAX_MONTHS,
        lookback_months=settings.ESTIMATE_LOOKBACK_MONTHS,
        min_history_days=settings.ESTIMATE_MIN_HISTORY_DAYS,
    )


def pending_chunk_ids(run: BillingRun) -> list[int]:
    return list(run.chunks.filter(done=False).order_by("index").values_list("pk", flat=True))


def tariff_versions() -> dict[str, list[TariffVersion]]:
    prices: dict[tuple[str, date], dict[str, Decimal]] = defaultdict(dict)
    for category, effective_from, zone, price in Tariff.objects.values_list(
        "category", "effective_from", "zone", "price"
    ):
        prices[(category, effective_from)][zone] = price
    versions: dict[str, list[TariffVersion]] = defaultdict(list)
    for (category, effective_from), by_zone in sorted(prices.items()):
        versions[category].append(TariffVersion(effective_from, by_zone))
    return versions


def norm_versions() -> dict[str, list[tuple[date, Decimal]]]:
    norms: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for category, effective_from, kwh in Norm.objects.order_by("effective_from").values_list(
        "category", "effective_from", "kwh_per_resident"
    ):
        norms[category].append((effective_from, kwh))
    return norms


def _zone_positions(zone_set: str, first: int, cache: dict) -> tuple[tuple[str, int], ...]:
    """(zone, column) pairs of a zone set's values in a row whose ALL_ZONES columns start at `first`."""
    key = (zone_set, first)
    if key not in cache:
        cache[key] = tuple((zone, first + ALL_ZONES.index(zone)) for zone in zones_of(zone_set))
    return cache[key]


def _chunk_meters_sql(vendor: str) -> str:
    """One statement for every meter of a chunk with its billing state, L's reading and its newest reading R.

    Each table is reached from the chunk's own meters by an index (accounts and meters by the account-id
    range, the state by its meter, R by the meter's current readings from L's date down), so a chunk reads
    what it bills whatever the size of the tables: the joins it replaced hashed every billing state and
    scanned every reading of every account for each chunk, a cost that grew with the utility and with the
    years of history. R is the newest counted reading after L: on PostgreSQL a LATERAL subquery per meter;
    SQLite (the `make run` default), which has no LATERAL, finds R's id by a correlated subquery in the
    join, which it runs per meter by itself.
    """
    meter, account = Meter._meta.db_table, PersonalAccount._meta.db_table
    state, reading = MeterBillingState._meta.db_table, Reading._meta.db_table
    newest = f"""
        FROM {reading} n
        WHERE n.meter_id = m.id AND n.reading_date > COALESCE(s.last_date, %(epoch)s)
          AND n.status = %(accepted)s AND n.superseded_at IS NULL
          AND n.submitted_at < %(submitted_until)s AND n.billing_month <= %(month)s
        ORDER BY n.reading_date DESC, n.submitted_at DESC LIMIT 1"""
    if vendor == "postgresql":
        values = ", ".join(f"n.{zone}" for zone in ALL_ZONES)
        join_newest = f"LEFT JOIN LATERAL (SELECT n.id, n.reading_date, {values} {newest}) r ON true"
    else:
        join_newest = f"LEFT JOIN {reading} r ON r.id = (SELECT n.id {newest})"
    return f"""
        SELECT m.id, m.account_id, m.zone_set, m.register_digits, m.multiplier, m.installed_on, m.removed_on,
               a.category, a.residents, {", ".join(f"m.install_{zone}" for zone in ALL_ZONES)},
               s.meter_id, s.last_reading_id, s.last_date, s.estimated_months, s.last_billed_month, s.closed,
               {", ".join(f"lr.{zone}" for zone in ALL_ZONES)},
               r.id, r.reading_date, {", ".join(f"r.{zone}" for zone in ALL_ZONES)}
          FROM {meter} m
          JOIN {account} a ON a.id = m.account_id
          LEFT JOIN {state} s ON s.meter_id = m.id
          LEFT JOIN {reading} lr ON lr.id = s.last_reading_id
          {join_newest}
         WHERE m.account_id >= %(first)s AND m.account_id <= %(last)s
           AND a.id >= %(first)s AND a.id <= %(last)s AND a.is_active
           AND (s.meter_id IS NULL OR ((s.last_billed_month IS NULL OR s.last_billed_month < %(month)s)
                                       AND NOT s.closed))
         ORDER BY m.serial_number
    """


_CHUNK_METERS_SQL: dict[str, str] = {}  # by database vendor, built on first use

# Positions in a row of `_chunk_meters_sql`: the meter (0-8), its installation values, its state, L's values,
# R's id, R's date and values.
INSTALL_AT = 9
STATE_AT = INSTALL_AT + len(ALL_ZONES)  # state_meter_id, last_reading_id, last_date, estimated, billed, closed
LAST_AT = STATE_AT + 6
NEW_ID_AT = LAST_AT + len(ALL_ZONES)
NEW_DATE_AT = NEW_ID_AT + 1
NEW_AT = NEW_DATE_AT + 1
EPOCH = date(1, 1, 1)  # before any reading: a meter without a billing state takes its newest reading


def _submitted_until(run: BillingRun) -> datetime:
    """Readings submitted up to the end of the run date (portal time zone) count; later ones wait."""
    return timezone.make_aware(datetime.combine(run.run_date + timedelta(days=1), time.min))


def _chunk_meter_rows(chunk: BillingChunk, run: BillingRun) -> list[tuple]:
    vendor = connection.vendor
    if vendor not in _CHUNK_METERS_SQL:
        _CHUNK_METERS_SQL[vendor] = _chunk_meters_sql(vendor)
    ops = connection.ops  # values as the ORM would send them (SQLite keeps datetimes as naive UTC text)
    params = {
        "first": chunk.first_account_id,
        "last": chunk.last_account_id,
        "month": ops.adapt_datefield_value(run.month),
        "epoch": ops.adapt_datefield_value(EPOCH),
        "accepted": ReadingStatus.ACCEPTED.value,
        "submitted_until": ops.adapt_datetimefield_value(_submitted_until(run)),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CHUNK_METERS_SQL[vendor], params)
        rows = cursor.fetchall()
    if vendor == "postgresql":
        return rows
    return [_dates_parsed(row) for row in rows]


_DATE_POSITIONS = (5, 6, STATE_AT + 2, STATE_AT + 4, NEW_DATE_AT)


def _dates_parsed(row: tuple) -> tuple:
    """SQLite returns the dates of a raw statement's columns as ISO text; the plan wants dates."""
    row = list(row)
    for at in _DATE_POSITIONS:
        if isinstance(row[at], str):
            row[at] = date.fromisoformat(row[at])
    return tuple(row)


def meter_inputs(chunk: BillingChunk, run: BillingRun) -> list[MeterInput]:
    """Everything the plan needs for every meter of the chunk, as plain values: the chunk's meters, states
    and readings in one statement (`_chunk_meters_sql`), its open estimates in another, the history of
    the meters the final pass may estimate in a third. Meters this month is already billed for (the final
    pass after the actual pass), or billed past it (a resumed run of an old month), have nothing to do and
    are not read."""
    meters = _chunk_meter_rows(chunk, run)
    in_chunk = {"meter__account_id__gte": chunk.first_account_id, "meter__account_id__lte": chunk.last_account_id}
    open_estimates: dict[int, list[OpenEstimate]] = defaultdict(list)
    for pk, meter_id, zone, volume, price, amount in value_rows(
        Charge.objects.filter(**in_chunk, basis__in=ESTIMATE_BASES, reversed_by__isnull=True).values_list(
            "pk", "meter_id", "zone", "volume_kwh", "price", "amount"
        )
    ):
        open_estimates[meter_id].append(OpenEstimate(pk, zone, volume, price, amount))

    positions: dict = {}
    lasts, installations = {}, {}
    for meter in meters:
        meter_id, zone_set, installed_on = meter[0], meter[2], meter[5]
        installation = Snapshot(
            {zone: meter[at] for zone, at in _zone_positions(zone_set, INSTALL_AT, positions)}, installed_on
        )
        installations[meter_id] = installation
        if meter[STATE_AT + 1]:  # L is a reading
            lasts[meter_id] = Snapshot(
                {zone: meter[at] for zone, at in _zone_positions(zone_set, LAST_AT, positions)}, meter[STATE_AT + 2]
            )
        else:  # L is the installation, on the state's date when it has one
            lasts[meter_id] = Snapshot(
                installation.values, meter[STATE_AT + 2] if meter[STATE_AT] is not None else installed_on
            )
    counted = Reading.objects.filter(
        status=ReadingStatus.ACCEPTED, superseded_at__isnull=True, submitted_at__lt=_submitted_until(run)
    )
    history_starts = _history_starts(counted, run, [meter[0] for meter in meters if meter[NEW_ID_AT] is None], lasts)

    inputs = []
    for meter in meters:
        meter_id, zone_set = meter[0], meter[2]
        has_state, new_id = meter[STATE_AT] is not None, meter[NEW_ID_AT]
        inputs.append(
            MeterInput(
                meter_id,
                meter[1],
                zones_of(zone_set),
                meter[3],
                meter[4],
                meter[5],
                meter[6],
                meter[7],
                meter[8],
                lasts[meter_id],
                meter[STATE_AT + 1],
                meter[STATE_AT + 3] if has_state else 0,
                meter[STATE_AT + 4],
                bool(meter[STATE_AT + 5]),
                new_id,
                Snapshot(
                    {zone: meter[at] for zone, at in _zone_positions(zone_set, NEW_AT, positions)}, meter[NEW_DATE_AT]
                )
                if new_id is not None
                else None,
                tuple(open_estimates.get(meter_id, ())),
                history_starts.get(meter_id),
                installations[meter_id],
            )
        )
    return inputs


def _history_starts(counted, run: BillingRun, meter_ids: list[int], lasts: dict[int, Snapshot]) -> dict[int, Snapshot]:
    """For meters that may be estimated: the earliest reading at most 6 calendar months before their L."""
    if run.pass_name != PASS_FINAL or not meter_ids:
        return {}
    lookback = settings.ESTIMATE_LOOKBACK_MONTHS
    since = months_before(min(lasts[pk].on for pk in meter_ids), lookback)
    starts: dict[int, Snapshot] = {}
    for meter_id, reading_date, *values in value_rows(
        counted.filter(meter_id__in=meter_ids, reading_date__gte=since)
        .order_by("meter_id", "reading_date")
        .values_list("meter_id", "reading_date", *ALL_ZONES)
    ):
        if meter_id in starts:
            continue
        last = lasts[meter_id]
        if months_before(last.on, lookback) <= reading_date < last.on:
            starts[meter_id] = Snapshot({zone: values[ZONE_INDEX[zone]] for zone in last.values}, reading_date)
    return starts
