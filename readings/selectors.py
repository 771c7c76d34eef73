"""Reads about meters and readings."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext

from readings.models import ZONE_TITLES, Meter, Reading, ReadingStatus


def labels_text(labels: list[str]) -> str:
    """'1.8.2, 15.8.2 or T22' in the active language."""
    if not labels:
        return ""
    if len(labels) == 1:
        return labels[0]
    return gettext("%(first)s or %(last)s") % {"first": ", ".join(labels[:-1]), "last": labels[-1]}


@dataclass(frozen=True)
class ZoneLine:
    zone: str
    title: str
    labels: str
    value: int | None


@dataclass(frozen=True)
class MeterSummary:
    meter: Meter
    last_reading: Reading | None
    zones: list[ZoneLine]

    @property
    def last_date(self) -> date | None:
        return self.last_reading.reading_date if self.last_reading else None


def meters_with_last_reading(meters: Iterable[Meter]) -> list[MeterSummary]:
    """Each meter with its last accepted, current reading, in one query for all of them."""
    meters = list(meters)
    newest = (
        Reading.objects.filter(meter=OuterRef("pk"), status=ReadingStatus.ACCEPTED, superseded_at__isnull=True)
        .order_by("-reading_date", "-submitted_at")
        .values("pk")[:1]
    )
    last_ids = dict(
        Meter.objects.filter(pk__in=[meter.pk for meter in meters])
        .annotate(last_id=Subquery(newest))
        .values_list("pk", "last_id")
    )
    readings = Reading.objects.in_bulk([pk for pk in last_ids.values() if pk])
    summaries = []
    for meter in meters:
        last = readings.get(last_ids.get(meter.pk))
        values = last.values if last else meter.installation_values
        zones = [
            ZoneLine(zone, str(ZONE_TITLES[zone]), labels_text(meter.labels_for(zone)), values.get(zone))
            for zone in meter.zones
        ]
        summaries.append(MeterSummary(meter, last, zones))
    return summaries


@dataclass(frozen=True)
class HistoryRow:
    reading: Reading
    values: list[tuple[str, int]]  # (zone, value) in zone order
    consumption: dict[str, int] | None  # kWh since the previous counted reading; None when it does not count


def meter_history(meter: Meter, *, since: date | None = None) -> list[HistoryRow]:
    """The meter's readings, newest first, with the consumption each counted reading added; with `since`,
    only those read on or after it (one more query finds the counted reading before it to measure from)."""
    readings = (
        Reading.objects.filter(meter=meter).select_related("submitted_by").order_by("reading_date", "submitted_at")
    )
    previous = meter.installation_values
    if since is not None:
        readings = readings.filter(reading_date__gte=since)
        base = (
            Reading.objects.filter(
                meter=meter, reading_date__lt=since, status=ReadingStatus.ACCEPTED, superseded_at__isnull=True
            )
            .order_by("-reading_date", "-submitted_at")
            .only("total", "day", "night", "peak", "half_peak", "zone_set")
            .first()
        )
        if base is not None:
            previous = base.values
    span = 10**meter.register_digits
    rows = []
    for reading in readings:
        current = reading.superseded_at is None
        consumption = None
        if current and reading.status in (ReadingStatus.ACCEPTED, ReadingStatus.PENDING_REVIEW):
            # A reading waiting for review shows what it would mean, without becoming the base of the next one.
            consumption = {
                zone: ((reading.values[zone] - previous[zone]) % span) * meter.multiplier for zone in meter.zones
            }
            if reading.status == ReadingStatus.ACCEPTED:
                previous = reading.values
        rows.append(HistoryRow(reading, list(reading.values.items()), consumption))
    return list(reversed(rows))


def meter_has_readings_before(meter: Meter, day: date) -> bool:
    return Reading.objects.filter(meter=meter, reading_date__lt=day).exists()


@dataclass(frozen=True)
class MonthBar:
    month: date
    by_zone: dict[str, int]
    measured: bool = True  # False: no accepted reading counted in this month (not the same as 0 kWh)

    @property
    def total(self) -> int:
        return sum(self.by_zone.values())


def monthly_consumption(history: list[HistoryRow], *, months: list[date], zones: tuple[str, ...]) -> list[MonthBar]:
    """Consumption per zone attributed to the billing month of the reading that measured it."""
    totals = {month: dict.fromkeys(zones, 0) for month in months}
    measured = set()
    for row in history:
        counted = row.reading.status == ReadingStatus.ACCEPTED
        if counted and row.consumption and row.reading.billing_month in totals:
            measured.add(row.reading.billing_month)
            for zone, used in row.consumption.items():
                totals[row.reading.billing_month][zone] += used
    return [MonthBar(month, totals[month], month in measured) for month in months]


def meter_by_numbers(account_number: str, meter_serial: str) -> Meter | None:
    """The active meter with this serial on the active account with this number (both must match), for
    the channels where a caller proves nothing but the two numbers: the public form, bots, voice, SMS."""
    from accounts.services import normalize_account_number

    return (
        Meter.objects.select_related("account__district")
        .filter(
            account__number=normalize_account_number(account_number),
            account__is_active=True,
            serial_number__iexact=meter_serial.strip(),
            removed_on__isnull=True,
        )
        .first()
    )
