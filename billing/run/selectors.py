"""Reads of the monthly run: what every meter of a chunk needs for its decision, as plain values, and the
tariffs, norms and rules in force."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

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


def meter_inputs(chunk: BillingChunk, run: BillingRun) -> list[MeterInput]:
    """Everything the plan needs for every meter of the chunk, in four queries, as plain values (the
    driver's tuples read by position: Django's rows and a dict per row were a quarter of a chunk's time)."""
    month = run.month
    install_fields = [f"install_{zone}" for zone in ALL_ZONES]
    chunk_meters = Meter.objects.filter(
        account_id__gte=chunk.first_account_id, account_id__lte=chunk.last_account_id, account__is_active=True
    )
    # Meters this month is already billed for (the final pass after the actual pass) have nothing to do.
    # So have meters billed past it (a resumed run of an old month): plan_meter refuses them too.
    chunk_meters = chunk_meters.exclude(billing_state__last_billed_month__gte=month).exclude(billing_state__closed=True)
    # pk, account, zone set, digits, multiplier, installed, removed, category, residents, install_* from 9
    meters = value_rows(
        chunk_meters.values_list(
            "pk",
            "account_id",
            "zone_set",
            "register_digits",
            "multiplier",
            "installed_on",
            "removed_on",
            "account__category",
            "account__residents",
            *install_fields,
        )
    )
    # Filter the other tables by the chunk's account range (an index range scan) rather than by a list of
    # thousands of meter ids.
    in_chunk = {"meter__account_id__gte": chunk.first_account_id, "meter__account_id__lte": chunk.last_account_id}
    # meter, last reading, last date, estimated months, last billed month, closed, last_reading__* from 6
    states = {
        row[0]: row
        for row in value_rows(
            MeterBillingState.objects.filter(**in_chunk).values_list(
                "meter_id",
                "last_reading_id",
                "last_date",
                "estimated_months",
                "last_billed_month",
                "closed",
                *[f"last_reading__{zone}" for zone in ALL_ZONES],
            )
        )
    }
    # Readings submitted up to the end of the run date (portal time zone) count; later ones wait.
    submitted_until = timezone.make_aware(datetime.combine(run.run_date + timedelta(days=1), time.min))
    counted = Reading.objects.filter(
        **in_chunk, status=ReadingStatus.ACCEPTED, superseded_at__isnull=True, submitted_at__lt=submitted_until
    )
    # R candidates: newer than each meter's own L (a join on its billing state), belonging to M or earlier.
    # pk, meter, reading date, zones from 3
    newest: dict[int, tuple] = {}
    for row in value_rows(
        counted.filter(billing_month__lte=month)
        .filter(Q(meter__billing_state__isnull=True) | Q(reading_date__gt=F("meter__billing_state__last_date")))
        .order_by("meter_id", "reading_date", "submitted_at")
        .values_list("pk", "meter_id", "reading_date", *ALL_ZONES)
    ):
        newest[row[1]] = row  # ordered: the last one wins
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
        state = states.get(meter_id)
        installation = Snapshot({zone: meter[at] for zone, at in _zone_positions(zone_set, 9, positions)}, installed_on)
        installations[meter_id] = installation
        if state and state[1]:
            lasts[meter_id] = Snapshot(
                {zone: state[at] for zone, at in _zone_positions(zone_set, 6, positions)}, state[2]
            )
        else:
            lasts[meter_id] = Snapshot(installation.values, state[2] if state else installed_on)
    history_starts = _history_starts(counted, run, [meter[0] for meter in meters if meter[0] not in newest], lasts)

    inputs = []
    for meter in meters:
        meter_id, zone_set = meter[0], meter[2]
        state, new_row = states.get(meter_id), newest.get(meter_id)
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
                state[1] if state else None,
                state[3] if state else 0,
                state[4] if state else None,
                state[5] if state else False,
                new_row[0] if new_row else None,
                Snapshot({zone: new_row[at] for zone, at in _zone_positions(zone_set, 3, positions)}, new_row[2])
                if new_row
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
