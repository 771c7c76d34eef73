"""The reading policy: whether one submission is stored, and how, decided from a small facts record.

A pure function (no Django, no database): `decide(facts, submission, rules)`. The callers only gather
facts and write what the decision says:

- `readings.services.reading_submit` (every channel: cabinet, public form, API, SMS, Telegram, staff)
  fetches the facts of one meter with the meter's row locked;
- `readings.imports.readings` (import_readings, head-end files) fetches them for a whole file set-based
  and keeps them up to date in memory as it applies the file's rows in date order.

Both ask the same questions in the same order, so a submission gets the same verdict whichever way it
came in (tests/readings/test_policy_parity.py runs one table of cases through both). Every difference
between channels is decided here and only here:

- digits: any Unicode decimal digit counts (Arabic-Indic "١٢٣", full-width "１２３" from a phone's
  keyboard), for every channel, and is stored as the plain number (`validation.parse_values`);
- decimals: SMS and smart-meter head-ends (`ami`) send what the display or the register shows,
  "012345.6" or "012345,67": the whole part is the reading. Everywhere else a decimal part is refused,
  so a customer who typed a comma is asked to retype rather than guessed at;
- a strict submission window refuses customer channels only; imports (facts.window is None) and staff
  never;
- only staff add a reading dated before the meter's last accepted one, and staff readings never wait
  for review;
- a reading that a charge has used (a run's actual charge, or the interim charge of a self-generated
  invoice) is corrected by staff only: the customer is told so, and the original stays current.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from readings.validation import (
    DATE_BEFORE_PREVIOUS,
    MONTH_CLOSED,
    PREVIOUSLY_REJECTED,
    READING_BILLED,
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

# Channel names as stored in Reading.channel (readings.models.Channel), as plain strings.
STAFF = "staff"
AMI = "ami"
SMS = "sms"
CUSTOMER_CHANNELS = frozenset({"web_form", "cabinet", "api", "chatbot", "viber", "messenger", "ivr", SMS, "email"})
# Channels whose values come as the display or register shows them, decimals included.
WHOLE_PART_CHANNELS = frozenset({SMS, AMI})

# What a decision says. Only ACCEPTED and PENDING_REVIEW store a reading; DUPLICATE points at a stored one.
ACCEPTED = "accepted"
PENDING_REVIEW = "pending_review"
REJECTED = "rejected"
SWAP_QUESTION = "swap_question"
NEEDS_PHOTO = "needs_photo"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class MeterInfo:
    """The meter row as the rules need it."""

    zones: tuple[str, ...]
    zone_set: str
    register_digits: int
    multiplier: int
    installed_on: date
    installation_values: dict[str, int]
    removed_on: date | None
    account_active: bool

    @cached_property
    def installation(self) -> Snapshot:
        # Asked for once per submission; one MeterInfo serves every meter of a kind in an import.
        return Snapshot(self.installation_values, self.installed_on)

    def active_on(self, day: date) -> bool:
        # A removed meter still takes its removal reading (a meter exchange), dated on or before removal.
        return self.account_active and (self.removed_on is None or day <= self.removed_on)


@dataclass(frozen=True)
class StoredDay:
    """The reading that counts for the submission's meter and date (not superseded, not rejected)."""

    id: int
    values: dict[str, int]
    billing_month: date
    billed: bool  # a charge has used it


@dataclass(frozen=True)
class WindowFacts:
    is_open: bool
    opens_on: date
    closes_on: date


@dataclass(frozen=True)
class SubmissionFacts:
    meter: MeterInfo
    same_day: StoredDay | None
    rejected: tuple[tuple[dict[str, int], str], ...]  # (values, reason) staff rejected for this date, newest first
    latest_accepted_date: date | None  # the meter's latest accepted current reading, any date
    last: Snapshot | None  # the last accepted current reading before the submission's date (L)
    lookback_start: Snapshot | None  # the earliest accepted current reading in the lookback before L
    closed_through: date | None  # the last billing month whose final pass has run
    window: WindowFacts | None  # the district's strict window today; None when no window applies

    def __init__(self, meter, same_day, rejected, latest_accepted_date, last, lookback_start, closed_through, window):
        # One per row of an import (100,000 a file): see validation.MeterFacts.__init__.
        self.__dict__.update(
            meter=meter,
            same_day=same_day,
            rejected=rejected,
            latest_accepted_date=latest_accepted_date,
            last=last,
            lookback_start=lookback_start,
            closed_through=closed_through,
            window=window,
        )


@dataclass(frozen=True)
class Submission:
    values: dict  # zone -> as entered (text or int)
    reading_date: date
    channel: str
    today: date
    swap_confirmed: bool | None = None  # None: not asked yet; imports pass False (judged as entered)
    has_photo: bool = False
    photo_required_for_review: bool = False

    def __init__(
        self,
        values,
        reading_date,
        channel,
        today,
        swap_confirmed=None,
        has_photo=False,
        photo_required_for_review=False,
    ):
        # One per row of an import (100,000 a file): see validation.MeterFacts.__init__.
        self.__dict__.update(
            values=values,
            reading_date=reading_date,
            channel=channel,
            today=today,
            swap_confirmed=swap_confirmed,
            has_photo=has_photo,
            photo_required_for_review=photo_required_for_review,
        )


@dataclass(frozen=True)
class Decision:
    status: str
    values: dict[str, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    consumption_kwh: dict[str, int] = field(default_factory=dict)
    previous: Snapshot | None = None
    swap_values: dict[str, int] | None = None
    swap_corrected: bool = False
    supersedes: StoredDay | None = None
    duplicate_of: StoredDay | None = None

    def __init__(
        self,
        status,
        values=None,
        problems=(),
        consumption_kwh=None,
        previous=None,
        swap_values=None,
        swap_corrected=False,
        supersedes=None,
        duplicate_of=None,
    ):
        # One per submission, 100,000 per import file: see validation.MeterFacts.__init__. No values or
        # consumption (None) is an empty dict of its own, as the fields' default_factory gives.
        self.__dict__.update(
            status=status,
            values={} if values is None else values,
            problems=problems,
            consumption_kwh={} if consumption_kwh is None else consumption_kwh,
            previous=previous,
            swap_values=swap_values,
            swap_corrected=swap_corrected,
            supersedes=supersedes,
            duplicate_of=duplicate_of,
        )

    @property
    def stores(self) -> bool:
        return self.status in (ACCEPTED, PENDING_REVIEW)


def meter_facts(
    meter: MeterInfo,
    *,
    reading_date: date,
    last: Snapshot | None,
    lookback_start: Snapshot | None,
    lookback_days: int,
    rules: ReadingRules,
) -> MeterFacts:
    """The meter's state for `check_reading`: L (or the installation) and its usual daily use over the
    lookback before L (from the earliest reading there, else the installation if it falls inside)."""
    installation = meter.installation
    previous = last or installation
    since = previous.reading_date - timedelta(days=lookback_days)
    if lookback_start is not None:
        start = lookback_start
    elif since <= meter.installed_on < previous.reading_date:
        start = installation
    else:
        start = None
    average = None
    if start is not None:
        average = average_daily_kwh(
            start, previous, register_digits=meter.register_digits, multiplier=meter.multiplier, rules=rules
        )
    return MeterFacts(
        zones=meter.zones,
        zone_set=meter.zone_set,
        register_digits=meter.register_digits,
        multiplier=meter.multiplier,
        installed_on=meter.installed_on,
        active=meter.active_on(reading_date),
        previous=previous,
        average_daily_kwh=average,
    )


def decide(facts: SubmissionFacts, submission: Submission, *, rules: ReadingRules, lookback_days: int) -> Decision:
    """Every rule of DESIGN.md "Reading validation" and the window, in one order for every caller."""
    meter = facts.meter
    channel = submission.channel
    staff = channel == STAFF
    day = submission.reading_date
    if facts.window is not None and channel in CUSTOMER_CHANNELS and not facts.window.is_open:
        params = {"opens_on": facts.window.opens_on, "closes_on": facts.window.closes_on}
        return Decision(REJECTED, problems=(Problem(WINDOW_CLOSED, params=params),))

    whole_part = channel in WHOLE_PART_CHANNELS
    same_day = facts.same_day
    if same_day is not None or facts.rejected:  # else nothing to compare with (check_reading parses anyway)
        entered, _ = parse_values(meter.zones, submission.values, meter.register_digits, whole_part=whole_part)
        if same_day is not None and entered == same_day.values:
            # An identical repeat (a retry, a double click, a file imported twice) changes nothing.
            return Decision(DUPLICATE, values=entered, duplicate_of=same_day)
        for values, reason in facts.rejected:
            if values == entered:
                # Sending the same numbers again must not quietly reverse a staff decision.
                return Decision(REJECTED, problems=(Problem(PREVIOUSLY_REJECTED, params={"reason": reason}),))

    state = meter_facts(
        meter,
        reading_date=day,
        last=facts.last,
        lookback_start=facts.lookback_start,
        lookback_days=lookback_days,
        rules=rules,
    )
    previous = state.previous
    if same_day is not None:
        if facts.closed_through and same_day.billing_month <= facts.closed_through:
            problem = Problem(MONTH_CLOSED, params={"month": same_day.billing_month})
            return Decision(REJECTED, problems=(problem,), previous=previous)
        if same_day.billed and not staff:
            problem = Problem(READING_BILLED, params={"reading_date": day, "month": same_day.billing_month})
            return Decision(REJECTED, problems=(problem,), previous=previous)

    latest = facts.latest_accepted_date
    if not staff and latest is not None and latest > day and state.active and day >= meter.installed_on:
        # Customers and machines pass today's state; a reading for an earlier date than L is a staff
        # correction. (An inactive meter or a date before installation: check_reading says which.)
        problem = Problem(DATE_BEFORE_PREVIOUS, params={"previous_date": latest, "staff_only": True})
        return Decision(REJECTED, problems=(problem,), previous=previous)

    today = submission.today
    verdict = check_reading(
        state, submission.values, day, today=today, rules=rules, allow_backdating=staff, whole_part=whole_part
    )
    if verdict.swap_suggested and submission.swap_confirmed is None:
        return Decision(
            SWAP_QUESTION, problems=verdict.problems, previous=previous, swap_values=swapped(verdict.values)
        )
    swap_corrected = bool(verdict.swap_suggested and submission.swap_confirmed)
    if swap_corrected:
        verdict = check_reading(state, swapped(verdict.values), day, today=submission.today, rules=rules)
        if same_day is not None and verdict.values == same_day.values:
            return Decision(DUPLICATE, values=verdict.values, duplicate_of=same_day, previous=previous)
    if verdict.problems:
        return Decision(REJECTED, values=verdict.values, problems=verdict.problems, previous=previous)

    needs_review = verdict.needs_review and not staff
    if needs_review and submission.photo_required_for_review and not submission.has_photo:
        return Decision(NEEDS_PHOTO, consumption_kwh=verdict.consumption_kwh, previous=previous)
    return Decision(
        PENDING_REVIEW if needs_review else ACCEPTED,
        values=verdict.values,
        consumption_kwh=verdict.consumption_kwh,
        previous=previous,
        swap_corrected=swap_corrected,
        supersedes=same_day,
    )
