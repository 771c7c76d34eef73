"""Every write about readings. All channels call `reading_submit`, so every rule is enforced once."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts.enqueue import enqueue_after_commit
from accounts.models import User, WindowPolicy
from readings.models import Channel, ClosedMonth, Meter, Reading, ReadingDecision, ReadingStatus, ReviewDecision
from readings.validation import (
    DATE_BEFORE_PREVIOUS,
    MONTH_CLOSED,
    PREVIOUSLY_REJECTED,
    WINDOW_CLOSED,
    MeterFacts,
    Problem,
    ReadingRules,
    Snapshot,
    average_daily_kwh,
    check_reading,
    parse_values,
    swapped,
)

# Channels a strict window applies to; staff and smart meters are never refused (DESIGN.md).
CUSTOMER_CHANNELS = {
    Channel.WEB_FORM,
    Channel.CABINET,
    Channel.API,
    Channel.CHATBOT,
    Channel.IVR,
    Channel.SMS,
    Channel.EMAIL,
}

ACCEPTED = "accepted"
PENDING_REVIEW = "pending_review"
REJECTED = "rejected"
SWAP_QUESTION = "swap_question"
NEEDS_PHOTO = "needs_photo"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class SubmitOutcome:
    """What happened to a submission. Only ACCEPTED, PENDING_REVIEW and DUPLICATE carry a stored reading."""

    status: str
    reading: Reading | None = None
    problems: tuple[Problem, ...] = ()
    consumption_kwh: dict[str, int] = field(default_factory=dict)
    billing_month: date | None = None
    previous: Snapshot | None = None
    swap_values: dict[str, int] | None = None

    @property
    def saved(self) -> bool:
        return self.reading is not None


def reading_rules() -> ReadingRules:
    return ReadingRules(
        rollover_max_share=Fraction(settings.READING_ROLLOVER_MAX_SHARE_PERCENT, 100),
        plausible_multiple=settings.READING_PLAUSIBLE_MULTIPLE,
        no_history_max_daily_kwh=settings.READING_NO_HISTORY_MAX_DAILY_KWH,
    )


def last_closed_month() -> date | None:
    return ClosedMonth.objects.aggregate(last=Max("month"))["last"]


def snapshot_of(reading: Reading) -> Snapshot:
    return Snapshot(reading.values, reading.reading_date)


def installation_snapshot(meter: Meter) -> Snapshot:
    return Snapshot(meter.installation_values, meter.installed_on)


def meter_facts(meter: Meter, *, before: date, rules: ReadingRules, exclude_id: int | None = None) -> MeterFacts:
    """The meter's state as the rules need it: its last accepted reading before `before` (or its installation
    values) and its usual daily use over the year before that reading."""
    counted = Reading.objects.current().filter(meter=meter, status=ReadingStatus.ACCEPTED).exclude(pk=exclude_id)
    last = counted.filter(reading_date__lt=before).order_by("-reading_date", "-submitted_at").first()
    previous = snapshot_of(last) if last else installation_snapshot(meter)
    since = previous.reading_date - timedelta(days=settings.READING_AVERAGE_LOOKBACK_DAYS)
    earliest = (
        counted.filter(reading_date__gte=since, reading_date__lt=previous.reading_date).order_by("reading_date").first()
    )
    if earliest is not None:
        start = snapshot_of(earliest)
    elif meter.installed_on >= since and meter.installed_on < previous.reading_date:
        start = installation_snapshot(meter)
    else:
        start = None
    average = (
        average_daily_kwh(
            start, previous, register_digits=meter.register_digits, multiplier=meter.multiplier, rules=rules
        )
        if start
        else None
    )
    return MeterFacts(
        zones=meter.zones,
        zone_set=meter.zone_set,
        register_digits=meter.register_digits,
        multiplier=meter.multiplier,
        installed_on=meter.installed_on,
        # A removed meter still takes its removal reading (a meter exchange), dated on or before removal.
        active=meter.account.is_active and (meter.removed_on is None or before <= meter.removed_on),
        previous=previous,
        average_daily_kwh=average,
    )


def reading_submit(
    *,
    meter: Meter,
    values: dict,
    reading_date: date,
    channel: str,
    submitted_by: User | None,
    now: datetime,
    today: date,
    swap_confirmed: bool | None = None,
    photo=None,
    photo_required_for_review: bool = False,
    submitted_on: date | None = None,
) -> SubmitOutcome:
    """Validate and store one reading, the same way for every channel.

    `today` is the submission day in the portal's time zone (it fixes the billing month; imports pass the
    file's `submitted_on` instead). `swap_confirmed` answers the "did you swap day and night?" question:
    None = not asked yet, True = store swapped, False = keep as entered. Nothing is stored unless the
    outcome is ACCEPTED or PENDING_REVIEW; an identical repeat returns the stored reading (DUPLICATE).
    """
    rules = reading_rules()
    submitted_on = submitted_on or today
    with transaction.atomic():
        # One submission per meter at a time: the second waits, then sees the first.
        meter = Meter.objects.select_for_update().select_related("account__district").get(pk=meter.pk)
        district = meter.account.district
        if channel in CUSTOMER_CHANNELS and district.window_policy == WindowPolicy.STRICT:
            status = district.window.status(today)
            if not status.is_open:
                problem = Problem(WINDOW_CLOSED, params={"opens_on": status.opens_on, "closes_on": status.closes_on})
                return SubmitOutcome(REJECTED, problems=(problem,))

        same_day = Reading.objects.current().filter(meter=meter, reading_date=reading_date).first()
        if same_day is not None and parse_values(meter.zones, values, meter.register_digits)[0] == same_day.values:
            # An identical repeat (a retry, a double click, an older reading sent again) changes nothing.
            return SubmitOutcome(DUPLICATE, reading=same_day, billing_month=same_day.billing_month)
        parsed = parse_values(meter.zones, values, meter.register_digits)[0]
        rejected = (
            Reading.objects.filter(meter=meter, reading_date=reading_date, status=ReadingStatus.REJECTED)
            .order_by("-submitted_at")
            .first()
        )
        if rejected is not None and rejected.values == parsed and same_day is None:
            # Sending the same numbers again must not quietly reverse a staff decision.
            return SubmitOutcome(REJECTED, problems=(Problem(PREVIOUSLY_REJECTED, params={"reason": rejected.reason}),))
        closed_through = last_closed_month()
        facts = meter_facts(meter, before=reading_date, rules=rules, exclude_id=same_day.pk if same_day else None)
        if channel != Channel.STAFF:
            # Customers pass today's state; a reading for an earlier date than L is a staff correction.
            latest = (
                Reading.objects.current()
                .filter(meter=meter, status=ReadingStatus.ACCEPTED, reading_date__gt=reading_date)
                .aggregate(latest=Max("reading_date"))["latest"]
            )
            if latest is not None:
                problem = Problem(DATE_BEFORE_PREVIOUS, params={"previous_date": latest})
                return SubmitOutcome(REJECTED, problems=(problem,), previous=facts.previous)
        verdict = check_reading(
            facts, values, reading_date, today=today, rules=rules, allow_backdating=channel == Channel.STAFF
        )
        if same_day is not None and verdict.values == same_day.values:
            return SubmitOutcome(
                DUPLICATE, reading=same_day, billing_month=same_day.billing_month, previous=facts.previous
            )
        if same_day is not None and closed_through and same_day.billing_month <= closed_through:
            return SubmitOutcome(REJECTED, problems=(Problem(MONTH_CLOSED, params={"month": same_day.billing_month}),))

        if verdict.swap_suggested and swap_confirmed is None:
            return SubmitOutcome(
                SWAP_QUESTION, problems=verdict.problems, previous=facts.previous, swap_values=swapped(verdict.values)
            )
        swap_corrected = bool(verdict.swap_suggested and swap_confirmed)
        if swap_corrected:
            verdict = check_reading(facts, swapped(verdict.values), reading_date, today=today, rules=rules)
        if verdict.problems:
            return SubmitOutcome(REJECTED, problems=verdict.problems, previous=facts.previous)

        needs_review = verdict.needs_review and channel not in (Channel.STAFF,)
        if needs_review and photo_required_for_review and not photo:
            return SubmitOutcome(NEEDS_PHOTO, consumption_kwh=verdict.consumption_kwh, previous=facts.previous)

        billing_month = district.window.billing_month(submitted_on, closed_through=closed_through)
        if same_day is not None:
            same_day.superseded_at = now
            same_day.save(update_fields=["superseded_at"])
        reading = Reading(
            meter=meter,
            reading_date=reading_date,
            zone_set=meter.zone_set,
            channel=channel,
            status=ReadingStatus.PENDING_REVIEW if needs_review else ReadingStatus.ACCEPTED,
            submitted_by=submitted_by,
            submitted_at=now,
            billing_month=billing_month,
            swap_corrected=swap_corrected,
            supersedes=same_day,
            **verdict.values,
        )
        if photo:
            reading.photo = photo
        try:
            with transaction.atomic():
                reading.save()
        except IntegrityError:
            # The partial unique index caught a race the lock did not (e.g. on a backend without row locks).
            existing = Reading.objects.current().get(meter=meter, reading_date=reading_date)
            return SubmitOutcome(
                DUPLICATE, reading=existing, billing_month=existing.billing_month, previous=facts.previous
            )
    return SubmitOutcome(
        PENDING_REVIEW if needs_review else ACCEPTED,
        reading=reading,
        consumption_kwh=verdict.consumption_kwh,
        billing_month=billing_month,
        previous=facts.previous,
    )


def reading_review(*, reading: Reading, decision: str, reason: str, staff: User, now: datetime) -> ReadingDecision:
    """Staff accept or reject a reading that waited for review; the customer sees the reason."""
    if decision not in ReviewDecision.values:
        raise ValueError(f"unknown decision {decision!r}")
    reason = reason.strip()
    if decision == ReviewDecision.REJECT and not reason:
        raise ValueError("a rejection needs a reason the customer will read")
    with transaction.atomic():
        reading = Reading.objects.select_for_update().get(pk=reading.pk)
        if reading.status != ReadingStatus.PENDING_REVIEW:
            raise ValueError("this reading is not waiting for review")
        reading.status = ReadingStatus.ACCEPTED if decision == ReviewDecision.ACCEPT else ReadingStatus.REJECTED
        reading.reason = reason
        reading.save(update_fields=["status", "reason"])
        recorded = ReadingDecision.objects.create(
            reading=reading, decision=decision, reason=reason, decided_by=staff, decided_at=now
        )
        _notify_after_commit(recorded.pk)
        return recorded


def _notify_after_commit(decision_id: int) -> None:
    """The customer hears of the decision by email (readings/notices.py), once it is committed."""
    from readings.tasks import reading_decision_notice

    enqueue_after_commit(reading_decision_notice, decision_id)


def month_close(*, month: date, now: datetime) -> ClosedMonth:
    """Called by the billing run's final pass: readings submitted from now on bill the next month."""
    closed, _ = ClosedMonth.objects.get_or_create(month=month.replace(day=1), defaults={"closed_at": now})
    return closed
