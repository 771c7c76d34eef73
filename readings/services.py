"""Every write about readings. All channels call `reading_submit`, so every rule is enforced once."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef

from accounts.enqueue import enqueue_after_commit
from accounts.models import User, WindowPolicy
from readings import policy, submission_sql
from readings.models import ClosedMonth, Meter, Reading, ReadingDecision, ReadingStatus, ReviewDecision
from readings.policy import (
    ACCEPTED,
    CUSTOMER_CHANNELS,
    DUPLICATE,
    NEEDS_PHOTO,
    PENDING_REVIEW,
    REJECTED,
    SWAP_QUESTION,
    MeterInfo,
    StoredDay,
    Submission,
    SubmissionFacts,
    WindowFacts,
    decide,
)
from readings.validation import MeterFacts, Problem, ReadingRules, Snapshot

# Re-exported: the channels import the outcome names from here.
__all__ = ["ACCEPTED", "CUSTOMER_CHANNELS", "DUPLICATE", "NEEDS_PHOTO", "PENDING_REVIEW", "REJECTED", "SWAP_QUESTION"]


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
    meter: Meter | None = None  # the meter judged (with its account and district): the answer names it
    # Whether the caller's `row_after` (reading_submit_by_numbers) went in with the reading; None: not written.
    row_after_inserted: bool | None = None

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


def meter_info(meter: Meter) -> MeterInfo:
    return MeterInfo(
        zones=meter.zones,
        zone_set=meter.zone_set,
        register_digits=meter.register_digits,
        multiplier=meter.multiplier,
        installed_on=meter.installed_on,
        installation_values=meter.installation_values,
        removed_on=meter.removed_on,
        account_active=meter.account.is_active,
    )


def used_by_a_charge() -> Exists:
    """True for a reading a charge has used. The charge model belongs to billing, a higher app: reached
    through the reverse relation, so readings imports nothing from billing."""
    charge = Reading._meta.get_field("charges").related_model
    return Exists(charge.objects.filter(reading_id=OuterRef("pk")))


def _accepted_current(meter: Meter):
    return Reading.objects.current().filter(meter=meter, status=ReadingStatus.ACCEPTED)


def _last_and_lookback_start(meter: Meter, before: date) -> tuple[Snapshot | None, Snapshot | None]:
    """L (the last accepted current reading before `before`) and the earliest one in the lookback before L."""
    accepted = _accepted_current(meter)
    last = accepted.filter(reading_date__lt=before).order_by("-reading_date", "-submitted_at").first()
    previous_date = last.reading_date if last else meter.installed_on
    since = previous_date - timedelta(days=settings.READING_AVERAGE_LOOKBACK_DAYS)
    earliest = accepted.filter(reading_date__gte=since, reading_date__lt=previous_date).order_by("reading_date").first()
    return (
        Snapshot(last.values, last.reading_date) if last else None,
        Snapshot(earliest.values, earliest.reading_date) if earliest else None,
    )


def meter_facts(meter: Meter, *, before: date, rules: ReadingRules) -> MeterFacts:
    """The meter's state as the rules see it for a reading dated `before` (readings/policy.py)."""
    last, lookback_start = _last_and_lookback_start(meter, before)
    return policy.meter_facts(
        meter_info(meter),
        reading_date=before,
        last=last,
        lookback_start=lookback_start,
        lookback_days=settings.READING_AVERAGE_LOOKBACK_DAYS,
        rules=rules,
    )


def _window_facts(meter: Meter, today: date) -> WindowFacts | None:
    district = meter.account.district
    if district.window_policy != WindowPolicy.STRICT:
        return None
    status = district.window.status(today)
    return WindowFacts(status.is_open, status.opens_on, status.closes_on)


def submission_facts(meter: Meter, *, reading_date: date, today: date) -> tuple[SubmissionFacts, Reading | None]:
    """The facts of one submission through the ORM (SQLite, and the reference for the one-statement
    PostgreSQL path); also the same-day reading itself, which a duplicate answer shows."""
    same_day = (
        Reading.objects.current()
        .filter(meter=meter, reading_date=reading_date)
        .annotate(billed=used_by_a_charge())
        .first()
    )
    rejected = (
        Reading.objects.filter(meter=meter, reading_date=reading_date, status=ReadingStatus.REJECTED)
        .order_by("-submitted_at")
        .select_related("meter")
    )
    last, lookback_start = _last_and_lookback_start(meter, reading_date)
    facts = SubmissionFacts(
        meter=meter_info(meter),
        same_day=StoredDay(same_day.pk, same_day.values, same_day.billing_month, same_day.billed) if same_day else None,
        rejected=tuple((reading.values, reading.reason) for reading in rejected),
        latest_accepted_date=_accepted_current(meter).aggregate(latest=Max("reading_date"))["latest"],
        last=last,
        lookback_start=lookback_start,
        closed_through=last_closed_month(),
        window=_window_facts(meter, today),
    )
    return facts, same_day


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
    row_after=None,
) -> SubmitOutcome:
    """Validate and store one reading, the same way for every channel: facts, then the policy
    (readings/policy.py), then the write.

    `today` is the submission day in the portal's time zone (it fixes the billing month; imports pass the
    file's `submitted_on` instead). `swap_confirmed` answers the "did you swap day and night?" question:
    None = not asked yet, True = store swapped, False = keep as entered. Nothing is stored unless the
    outcome is ACCEPTED or PENDING_REVIEW; an identical repeat returns the stored reading (DUPLICATE).
    `row_after`: as `reading_submit_by_numbers` (PostgreSQL, without a photo; ignored elsewhere).
    """
    submission = Submission(
        values=values,
        reading_date=reading_date,
        channel=channel,
        today=today,
        swap_confirmed=swap_confirmed,
        has_photo=bool(photo),
        photo_required_for_review=photo_required_for_review,
    )
    # PostgreSQL: the facts in one statement and the write in another (readings/submission_sql.py). A photo
    # goes through the ORM, which stores the file; so does every other backend.
    in_sql = connection.vendor == "postgresql" and not photo
    # No savepoint: an error rolls back the caller's transaction anyway, and each savepoint is a round trip.
    with transaction.atomic(savepoint=False):
        if not in_sql:
            # One submission per meter at a time: the second waits, then sees the first.
            meter = Meter.objects.select_for_update().select_related("account__district").get(pk=meter.pk)
            facts, same_day = submission_facts(meter, reading_date=reading_date, today=today)
            return _submit_once(meter, facts, same_day, submission, submitted_by, submitted_on or today, now, photo)
        return _submit_sql(submission, submitted_by, submitted_on or today, now, meter_id=meter.pk, row_after=row_after)


def reading_submit_by_numbers(
    *,
    account_number: str,
    meter_serial: str,
    values: dict,
    reading_date: date,
    channel: str,
    submitted_by: User | None,
    now: datetime,
    today: date,
    swap_confirmed: bool | None = None,
    row_after=None,
) -> SubmitOutcome | None:
    """`reading_submit` for a caller that names the meter by the account number and the meter's serial (the
    integration API): None when no active meter with this serial is on an active account with this number
    (`selectors.meter_by_numbers`). On PostgreSQL the lookup is the facts statement itself: no query before
    it. The outcome's `meter` is the meter found.

    `row_after(outcome) -> submission_sql.RowAfter`, on PostgreSQL: a row the reading's INSERT also writes
    when it stores one (the API's idempotency record, built from the outcome about to be stored: its reading
    has no id yet); the outcome's `row_after_inserted` says whether it went in."""
    from accounts.services import normalize_account_number
    from readings.selectors import meter_by_numbers

    if connection.vendor != "postgresql":
        meter = meter_by_numbers(account_number, meter_serial)
        if meter is None:
            return None
        return reading_submit(
            meter=meter,
            values=values,
            reading_date=reading_date,
            channel=channel,
            submitted_by=submitted_by,
            now=now,
            today=today,
            swap_confirmed=swap_confirmed,
        )
    submission = Submission(values=values, reading_date=reading_date, channel=channel, today=today,
                            swap_confirmed=swap_confirmed)  # fmt: skip
    numbers = (normalize_account_number(account_number), meter_serial.strip())
    with transaction.atomic(savepoint=False):
        return _submit_sql(submission, submitted_by, today, now, numbers=numbers, row_after=row_after)


def _submit_sql(
    submission: Submission,
    submitted_by,
    submitted_on: date,
    now: datetime,
    *,
    meter_id=None,
    numbers=None,
    row_after=None,
) -> SubmitOutcome | None:
    """The PostgreSQL path: facts (and the meter) in one statement, the decision, the write in another."""
    lookback_days = settings.READING_AVERAGE_LOOKBACK_DAYS
    for _attempt in range(2):
        found = submission_sql.fetch_facts(
            reading_date=submission.reading_date, lookback_days=lookback_days, meter_id=meter_id, numbers=numbers
        )
        if found is None:
            if numbers is None:
                raise Meter.DoesNotExist(f"meter {meter_id}")
            return None
        meter, facts = found
        facts = replace(facts, window=_window_facts(meter, submission.today))
        outcome = _submit_once(
            meter, facts, None, submission, submitted_by, submitted_on, now, None, in_sql=True, row_after=row_after
        )
        if outcome is not None:
            return outcome
        # The facts statement takes the meter's lock, but reads with the snapshot of its start: a twin that
        # held the lock and committed meanwhile is invisible to it. Its reading for the same date made our
        # insert conflict; holding the lock now, the second facts statement sees it and decides again.
        meter_id, numbers = meter.pk, None
    raise AssertionError("a second facts statement under the meter's lock cannot meet a newer reading")


def _submit_once(
    meter: Meter,
    facts: SubmissionFacts,
    same_day: Reading | None,
    submission: Submission,
    submitted_by,
    submitted_on: date,
    now: datetime,
    photo,
    *,
    in_sql: bool = False,
    row_after=None,
) -> SubmitOutcome | None:
    """Decision and write. None when the SQL insert met a reading committed after the facts were read."""
    lookback_days = settings.READING_AVERAGE_LOOKBACK_DAYS
    reading_date = submission.reading_date
    decision = decide(facts, submission, rules=reading_rules(), lookback_days=lookback_days)
    if decision.status == DUPLICATE:
        same_day = same_day or Reading.objects.select_related("meter").get(pk=decision.duplicate_of.id)
        return SubmitOutcome(
            DUPLICATE, reading=same_day, billing_month=same_day.billing_month, previous=decision.previous, meter=meter
        )
    if not decision.stores:
        return SubmitOutcome(
            decision.status,
            problems=decision.problems,
            consumption_kwh=decision.consumption_kwh,
            previous=decision.previous,
            swap_values=decision.swap_values,
            meter=meter,
        )
    billing_month = meter.account.district.window.billing_month(submitted_on, closed_through=facts.closed_through)
    supersedes = decision.supersedes
    reading = Reading(
        meter=meter,
        reading_date=reading_date,
        zone_set=facts.meter.zone_set,
        channel=str(submission.channel),
        status=ReadingStatus.PENDING_REVIEW.value
        if decision.status == PENDING_REVIEW
        else ReadingStatus.ACCEPTED.value,
        submitted_by=submitted_by,
        submitted_at=now,
        billing_month=billing_month,
        swap_corrected=decision.swap_corrected,
        supersedes_id=supersedes.id if supersedes else None,
        **decision.values,
    )
    outcome = SubmitOutcome(
        decision.status,
        reading=reading,
        consumption_kwh=decision.consumption_kwh,
        billing_month=billing_month,
        previous=decision.previous,
        meter=meter,
    )
    if in_sql:
        after = row_after(outcome) if row_after else None
        new_id, after_inserted = submission_sql.insert_reading(
            reading, supersede_id=supersedes.id if supersedes else None, now=now, after=after
        )
        if new_id is None:
            return None
        reading.pk = new_id
        reading._state.adding = False
        reading._state.db = "default"
        return replace(outcome, row_after_inserted=after_inserted) if after else outcome
    if not _write_orm(reading, same_day, photo, now):
        # The partial unique index caught a race the lock did not (a backend without row locks).
        existing = Reading.objects.current().get(meter=meter, reading_date=reading_date)
        return SubmitOutcome(
            DUPLICATE, reading=existing, billing_month=existing.billing_month, previous=decision.previous, meter=meter
        )
    return outcome


def _write_orm(reading: Reading, same_day: Reading | None, photo, now: datetime) -> bool:
    if same_day is not None:
        same_day.superseded_at = now
        same_day.save(update_fields=["superseded_at"])
    if photo:
        reading.photo = photo
    try:
        with transaction.atomic():
            reading.save()
    except IntegrityError:
        return False
    return True


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
        if decision == ReviewDecision.REJECT and reading.supersedes_id is not None:
            _restore_corrected(reading)
        recorded = ReadingDecision.objects.create(
            reading=reading, decision=decision, reason=reason, decided_by=staff, decided_at=now
        )
        _notify_after_commit(recorded.pk)
        return recorded


def _restore_corrected(rejected: Reading) -> None:
    """A rejected correction leaves the reading it would have replaced current again (DESIGN.md "Reading
    validation"), unless something else has counted for that date since."""
    original = Reading.objects.select_for_update().get(pk=rejected.supersedes_id)
    if original.superseded_at is None or original.status == ReadingStatus.REJECTED:
        return
    if Reading.objects.current().filter(meter_id=original.meter_id, reading_date=original.reading_date).exists():
        return
    original.superseded_at = None
    original.save(update_fields=["superseded_at"])


def _notify_after_commit(decision_id: int) -> None:
    """The customer hears of the decision by email (readings/notices.py), once it is committed."""
    from readings.tasks import reading_decision_notice

    enqueue_after_commit(reading_decision_notice, decision_id)


def month_close(*, month: date, now: datetime) -> ClosedMonth:
    """Called by the billing run's final pass: readings submitted from now on bill the next month."""
    closed, _ = ClosedMonth.objects.get_or_create(month=month.replace(day=1), defaults={"closed_at": now})
    return closed
