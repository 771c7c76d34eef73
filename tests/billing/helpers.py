"""Helpers the billing tests share (not fixtures): readings as customers pass them."""

import billing.run.services as run_services
from readings.zones import TWO_ZONE
from tests.factories import ReadingFactory
from tests.readings.conftest import aware


def read_two_zone(meter, on, day, night, submitted=None):
    """An accepted day/night reading as of `on`, submitted on `submitted` (default the same day), its billing
    month fixed by the district's window as a real submission would."""
    submitted = submitted or on
    return ReadingFactory(
        meter=meter,
        zone_set=TWO_ZONE,
        total=None,
        day=day,
        night=night,
        reading_date=on,
        billing_month=meter.account.district.window.billing_month(submitted),
        submitted_at=aware(submitted),
    )


def meter_inputs_failing(monkeypatch, when, error: BaseException):
    """The run's `meter_inputs` raises `error` for the chunks `when(chunk)` picks (bad data, a lost database);
    returns what puts the real one back (staff fixed the data)."""
    real = run_services.meter_inputs

    def failing(chunk, run):
        if when(chunk):
            raise error
        return real(chunk, run)

    monkeypatch.setattr(run_services, "meter_inputs", failing)
    return lambda: monkeypatch.setattr(run_services, "meter_inputs", real)
