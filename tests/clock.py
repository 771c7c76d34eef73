"""One clock for the whole test run: `PORTAL_TEST_TODAY` pins it, the live server and worker processes too.

`PORTAL_TEST_TODAY=2026-11-29 make test` runs every test as if it were 10:00 Kyiv time on that day (a full
ISO datetime with an offset pins the time of day too). The clock ticks from there, so timeouts, rate-limit
windows and Redis TTLs behave as on any day. time-machine replaces the clock of the whole process, so
Django's live-server thread reads the same date; Celery workers started by tests/workers.py run through
`python -m tests.pinned_process` and continue the test process's clock.

Tests that depend on the calendar either pin their own date (`time_machine.travel(...)` nests inside
the session's) or compute what they expect from `timezone.localdate()`.
"""

import datetime
import os
import zoneinfo

import time_machine

TODAY_VARIABLE = "PORTAL_TEST_TODAY"
# Set by the test process for its child processes: the exact moment to continue from.
NOW_VARIABLE = "PORTAL_TEST_CLOCK_NOW"
KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def pinned_start(value: str | None) -> datetime.datetime | None:
    """`2026-12-01` -> 10:00 Kyiv time on that day; `2026-12-01T23:30+02:00` as given; empty -> None."""
    if not value:
        return None
    try:
        return datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time(10, 0), KYIV)
    except ValueError:
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=KYIV)
        return moment


def start_session_clock() -> time_machine.travel | None:
    """Pin the clock for the test run when PORTAL_TEST_TODAY is set; returns the traveller to stop."""
    start = pinned_start(os.environ.get(TODAY_VARIABLE))
    if start is None:
        return None
    traveller = time_machine.travel(start, tick=True)
    traveller.start()
    return traveller


def child_environment() -> dict:
    """Variables a child process (a Celery worker) needs to read the same clock as this process."""
    if not os.environ.get(TODAY_VARIABLE):
        return {}
    return {NOW_VARIABLE: datetime.datetime.now(datetime.UTC).isoformat()}
