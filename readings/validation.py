"""The rules a reading must pass, as pure functions over plain values (no Django).

Every channel (cabinet, public form, API, SMS, Telegram, imports, staff) ends up here through
`readings.services.reading_submit` or the importer, so a rule is written once. Rejections carry a
stable `code`; the channels turn codes into words (readings/messages.py).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from readings.zones import DAY, NIGHT, TWO_ZONE

# Stable rejection codes (API clients and tests rely on them).
ZONE_MISSING = "zone_missing"
ZONE_UNKNOWN = "zone_unknown"
NOT_A_NUMBER = "not_a_number"
TOO_MANY_DIGITS = "too_many_digits"
METER_INACTIVE = "meter_inactive"
DATE_IN_FUTURE = "date_in_future"
DATE_BEFORE_PREVIOUS = "date_before_previous"
DATE_BEFORE_INSTALLATION = "date_before_installation"
LOWER_THAN_PREVIOUS = "lower_than_previous"
WINDOW_CLOSED = "window_closed"
MONTH_CLOSED = "month_closed"
PREVIOUSLY_REJECTED = "previously_rejected"
READING_BILLED = "reading_billed"  # a charge has used the reading this one would replace: staff only

# "012345.6" or "012345,67" as a display or register shows it; only channels that send that take the whole part.
DECIMAL = re.compile(r"^(\d+)[.,]\d*$")


@dataclass(frozen=True)
class ReadingRules:
    """The tunable thresholds (settings READING_*)."""

    rollover_max_share: Fraction = Fraction(1, 20)  # a rollover may add at most 5 % of the register range
    plausible_multiple: int = 5  # more than 5x the usual daily use goes to review
    no_history_max_daily_kwh: int = 300  # without history, more than 300 kWh a day goes to review
    min_history_days: int = 30  # less history than this counts as none


@dataclass(frozen=True)
class Snapshot:
    """Register values as of a date: a reading, or the installation values."""

    values: dict[str, int]
    reading_date: date


@dataclass(frozen=True)
class MeterFacts:
    zones: tuple[str, ...]
    zone_set: str
    register_digits: int
    multiplier: int
    installed_on: date
    active: bool
    previous: Snapshot  # the reading the new one is compared with (L, or the installation)
    average_daily_kwh: Fraction | None  # usual use per day, all zones together; None = too little history

    def __init__(self, zones, zone_set, register_digits, multiplier, installed_on, active, previous, average_daily_kwh):
        # Built per row of an import (100,000 a file): a frozen dataclass's own __init__ sets each field through
        # object.__setattr__ (1.5 us for eight); writing the instance dict is what it amounts to, at a quarter.
        self.__dict__.update(
            zones=zones,
            zone_set=zone_set,
            register_digits=register_digits,
            multiplier=multiplier,
            installed_on=installed_on,
            active=active,
            previous=previous,
            average_daily_kwh=average_daily_kwh,
        )


@dataclass(frozen=True)
class Problem:
    code: str
    zone: str | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    values: dict[str, int]
    problems: tuple[Problem, ...]
    consumption_kwh: dict[str, int]  # per zone, multiplier applied; empty when rejected
    needs_review: bool
    swap_suggested: bool

    def __init__(self, values, problems, consumption_kwh, needs_review, swap_suggested):
        # One per submission, 100,000 per import file: see MeterFacts.__init__.
        self.__dict__.update(
            values=values,
            problems=problems,
            consumption_kwh=consumption_kwh,
            needs_review=needs_review,
            swap_suggested=swap_suggested,
        )

    @property
    def ok(self) -> bool:
        return not self.problems


def plain_digits(text: str) -> str:
    """Any Unicode decimal digits ("١٢٣", full-width "１２３") as ASCII digits; a phone keyboard's digits are
    the same number, so every channel accepts them (readings/policy.py)."""
    return text if text.isascii() else "".join(str(int(char)) for char in text)


def parse_values(
    zones: tuple[str, ...], raw: dict, register_digits: int, *, whole_part: bool = False
) -> tuple[dict[str, int], list[Problem]]:
    """Integers for exactly the meter's zones, within the register's digits. With `whole_part` (SMS and
    head-ends, readings/policy.py) a decimal part is dropped instead of refused."""
    problems: list[Problem] = []
    values: dict[str, int] = {}
    for zone, value in raw.items():
        if zone not in zones and value is not None and str(value).strip() != "":
            problems.append(Problem(ZONE_UNKNOWN, zone))
    for zone in zones:
        value = raw.get(zone)
        text = "" if value is None else str(value).strip().replace(" ", "")
        # ("." or "," first: most values have no decimal part, and the test costs a tenth of the match.)
        if whole_part and ("." in text or "," in text) and (decimal := DECIMAL.match(text)):
            text = decimal.group(1)
        if text == "":
            problems.append(Problem(ZONE_MISSING, zone))
        elif not text.isdecimal():
            problems.append(Problem(NOT_A_NUMBER, zone, {"value": text}))
        elif len(plain_digits(text).lstrip("0") or "0") > register_digits:
            problems.append(Problem(TOO_MANY_DIGITS, zone, {"value": text, "digits": register_digits}))
        else:
            values[zone] = int(text)
    return values, problems


def register_delta(previous: int, value: int, register_digits: int, rules: ReadingRules) -> int | None:
    """Units counted since `previous`; a smaller value is a rollover only if the jump is plausible."""
    if value >= previous:
        return value - previous
    span = 10**register_digits
    rolled = value + span - previous
    share = rules.rollover_max_share
    # rolled < span * share, in integers (share is a Fraction or an int: both have numerator/denominator).
    return rolled if rolled * share.denominator < span * share.numerator else None


def average_daily_kwh(
    earliest: Snapshot, latest: Snapshot, *, register_digits: int, multiplier: int, rules: ReadingRules
) -> Fraction | None:
    """Usual use per day between two snapshots, all zones together; None with too little history."""
    days = (latest.reading_date - earliest.reading_date).days
    if days < rules.min_history_days:
        return None
    span = 10**register_digits
    used = sum((latest.values[zone] - earliest.values[zone]) % span for zone in latest.values)
    return Fraction(used * multiplier, days)


def _evaluate(facts: MeterFacts, values: dict[str, int], reading_date: date, rules: ReadingRules):
    problems: list[Problem] = []
    consumption: dict[str, int] = {}
    for zone in facts.zones:
        delta = register_delta(facts.previous.values[zone], values[zone], facts.register_digits, rules)
        if delta is None:
            problems.append(
                Problem(
                    LOWER_THAN_PREVIOUS,
                    zone,
                    {
                        "value": values[zone],
                        "previous": facts.previous.values[zone],
                        "previous_date": facts.previous.reading_date,
                        "digits": facts.register_digits,
                    },
                )
            )
        else:
            consumption[zone] = delta * facts.multiplier
    needs_review = False
    if not problems:
        days = max((reading_date - facts.previous.reading_date).days, 1)
        needs_review = _implausible(sum(consumption.values()), days, facts.average_daily_kwh, rules)
    return problems, consumption, needs_review


def _implausible(used: int, days: int, average: Fraction | None, rules: ReadingRules) -> bool:
    """Whether `used` kWh over `days` (> 0) is more than the rules allow per day. The comparisons of
    used / days with a limit, cross-multiplied: exact in integers, as Fraction arithmetic was, without building
    a Fraction per reading (the importer judges 100,000 rows; tests/readings/test_validation.py compares both
    ways on bounded examples)."""
    if average is None:
        return used > rules.no_history_max_daily_kwh * days
    # used / days > average * multiple, average = numerator / denominator (denominator > 0), and used / days > 1
    return used * average.denominator > average.numerator * rules.plausible_multiple * days and used > days


def swapped(values: dict[str, int]) -> dict[str, int]:
    return {**values, DAY: values[NIGHT], NIGHT: values[DAY]}


def check_reading(
    facts: MeterFacts,
    raw_values: dict,
    reading_date: date,
    *,
    today: date,
    rules: ReadingRules,
    allow_backdating: bool = False,
    whole_part: bool = False,
) -> Verdict:
    """Apply every rule of DESIGN.md "Reading validation" to one submission."""
    if not facts.active:
        return Verdict({}, (Problem(METER_INACTIVE),), {}, False, False)
    values, problems = parse_values(facts.zones, raw_values, facts.register_digits, whole_part=whole_part)
    if reading_date > today:
        problems.append(Problem(DATE_IN_FUTURE, params={"today": today}))
    if reading_date < facts.installed_on:
        problems.append(Problem(DATE_BEFORE_INSTALLATION, params={"installed_on": facts.installed_on}))
    elif reading_date < facts.previous.reading_date and not allow_backdating:
        problems.append(Problem(DATE_BEFORE_PREVIOUS, params={"previous_date": facts.previous.reading_date}))
    if problems:
        return Verdict(values, tuple(problems), {}, False, False)

    zone_problems, consumption, needs_review = _evaluate(facts, values, reading_date, rules)
    swap_suggested = False
    if facts.zone_set == TWO_ZONE and (zone_problems or needs_review) and values[DAY] != values[NIGHT]:
        swap_problems, _, swap_review = _evaluate(facts, swapped(values), reading_date, rules)
        swap_suggested = not swap_problems and not swap_review
    return Verdict(values, tuple(zone_problems), consumption if not zone_problems else {}, needs_review, swap_suggested)
