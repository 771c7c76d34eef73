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
from billing.tariffs import TariffVersion
from readings.models import Meter, Reading, ReadingStatus
from readings.zones import ALL_ZONES, zones_of


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


def _values(row, zones, prefix: str = "") -> dict[str, int]:
    return {zone: getattr(row, f"{prefix}{zone}") for zone in zones}


def meter_inputs(chunk: BillingChunk, run: BillingRun) -> list[MeterInput]:
    """Everything the plan needs for every meter of the chunk, in four queries, as plain values (named
    tuples: a dict per row was a tenth of a chunk's Python time)."""
    month = run.month
    install_fields = [f"install_{zone}" for zone in ALL_ZONES]
    chunk_meters = Meter.objects.filter(
        account_id__gte=chunk.first_account_id, account_id__lte=chunk.last_account_id, account__is_active=True
    )
    # Meters this month is already billed for (the final pass after the actual pass) have nothing to do.
    # So have meters billed past it (a resumed run of an old month): plan_meter refuses them too.
    chunk_meters = chunk_meters.exclude(billing_state__last_billed_month__gte=month).exclude(billing_state__closed=True)
    meters = list(
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
            named=True,
        )
    )
    ids = [meter.pk for meter in meters]
    # Filter the other tables by the chunk's account range (an index range scan) rather than by a list of
    # thousands of meter ids.
    in_chunk = {"meter__account_id__gte": chunk.first_account_id, "meter__account_id__lte": chunk.last_account_id}
    states = {
        row.meter_id: row
        for row in MeterBillingState.objects.filter(**in_chunk).values_list(
            "meter_id",
            "last_reading_id",
            "last_date",
            "estimated_months",
            "last_billed_month",
            "closed",
            *[f"last_reading__{zone}" for zone in ALL_ZONES],
            named=True,
        )
    }
    # Readings submitted up to the end of the run date (portal time zone) count; later ones wait.
    submitted_until = timezone.make_aware(datetime.combine(run.run_date + timedelta(days=1), time.min))
    counted = Reading.objects.filter(
        **in_chunk, status=ReadingStatus.ACCEPTED, superseded_at__isnull=True, submitted_at__lt=submitted_until
    )
    # R candidates: newer than each meter's own L (a join on its billing state), belonging to M or earlier.
    newest: dict[int, tuple] = {}
    for row in (
        counted.filter(billing_month__lte=month)
        .filter(Q(meter__billing_state__isnull=True) | Q(reading_date__gt=F("meter__billing_state__last_date")))
        .order_by("meter_id", "reading_date", "submitted_at")
        .values_list("pk", "meter_id", "reading_date", *ALL_ZONES, named=True)
    ):
        newest[row.meter_id] = row  # ordered: the last one wins
    open_estimates: dict[int, list[OpenEstimate]] = defaultdict(list)
    for pk, meter_id, zone, volume, price, amount in Charge.objects.filter(
        **in_chunk, basis__in=ESTIMATE_BASES, reversed_by__isnull=True
    ).values_list("pk", "meter_id", "zone", "volume_kwh", "price", "amount"):
        open_estimates[meter_id].append(OpenEstimate(pk, zone, volume, price, amount))

    lasts = {}
    for meter in meters:
        zones, state = zones_of(meter.zone_set), states.get(meter.pk)
        if state and state.last_reading_id:
            lasts[meter.pk] = Snapshot(_values(state, zones, "last_reading__"), state.last_date)
        else:
            lasts[meter.pk] = Snapshot(
                _values(meter, zones, "install_"), state.last_date if state else meter.installed_on
            )
    history_starts = _history_starts(counted, run, [pk for pk in ids if pk not in newest], lasts)

    inputs = []
    for meter in meters:
        zones, state, new_row = zones_of(meter.zone_set), states.get(meter.pk), newest.get(meter.pk)
        inputs.append(
            MeterInput(
                meter_id=meter.pk,
                account_id=meter.account_id,
                zones=zones,
                register_digits=meter.register_digits,
                multiplier=meter.multiplier,
                installed_on=meter.installed_on,
                removed_on=meter.removed_on,
                category=meter.account__category,
                residents=meter.account__residents,
                last=lasts[meter.pk],
                last_reading_id=state.last_reading_id if state else None,
                estimated_months=state.estimated_months if state else 0,
                last_billed_month=state.last_billed_month if state else None,
                closed=state.closed if state else False,
                new_reading_id=new_row.pk if new_row else None,
                new_reading=Snapshot(_values(new_row, zones), new_row.reading_date) if new_row else None,
                open_estimates=tuple(open_estimates.get(meter.pk, ())),
                history_start=history_starts.get(meter.pk),
                installation=Snapshot(_values(meter, zones, "install_"), meter.installed_on),
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
    for row in (
        counted.filter(meter_id__in=meter_ids, reading_date__gte=since)
        .order_by("meter_id", "reading_date")
        .values("meter_id", "reading_date", *ALL_ZONES)
    ):
        last = lasts[row["meter_id"]]
        if row["meter_id"] not in starts and months_before(last.on, lookback) <= row["reading_date"] < last.on:
            starts[row["meter_id"]] = Snapshot({zone: row[zone] for zone in last.values}, row["reading_date"])
    return starts
