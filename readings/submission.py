"""The reading form's round trip, shared by the cabinet and the public form: validate, ask, store."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from readings.forms import ReadingForm
from readings.messages import problems_by_zone
from readings.models import Meter
from readings.services import (
    ACCEPTED,
    DUPLICATE,
    NEEDS_PHOTO,
    PENDING_REVIEW,
    SWAP_QUESTION,
    SubmitOutcome,
    meter_facts,
    reading_rules,
    reading_submit,
)
from readings.validation import Snapshot


@dataclass
class FormRound:
    form: ReadingForm
    outcome: SubmitOutcome | None = None
    previous: Snapshot | None = None

    @property
    def stored(self) -> bool:
        return self.outcome is not None and self.outcome.status in (ACCEPTED, PENDING_REVIEW, DUPLICATE)

    @property
    def asks_swap(self) -> bool:
        return self.outcome is not None and self.outcome.status == SWAP_QUESTION

    @property
    def zone_rows(self):
        """Each zone's field with the previous value beside it."""
        return [
            (self.form[zone], self.previous.values.get(zone) if self.previous else None)
            for zone in self.form.meter.zones
        ]

    @property
    def swap_pairs(self):
        """For the swap question: (zone label, entered, swapped) per zone."""
        if not self.asks_swap:
            return []
        entered = self.form.values()
        return [
            (self.form[zone].label, entered[zone], self.outcome.swap_values[zone]) for zone in self.form.meter.zones
        ]

    @property
    def asks_photo(self) -> bool:
        return self.outcome is not None and self.outcome.status == NEEDS_PHOTO


def previous_snapshot(meter: Meter) -> Snapshot:
    return meter_facts(meter, before=timezone.localdate() + timedelta(days=1), rules=reading_rules()).previous


def reading_form_round(
    request, *, meter: Meter, channel: str, ask_date: bool, reveal_history: bool = True
) -> FormRound:
    """GET: an empty form. POST: submit through the service and map the outcome back onto the form.

    Without `ask_date` the reading is dated the server's today (a posted date is ignored). Without
    `reveal_history` (the public form) the round carries no previous reading, the messages name no earlier
    value or date, and "nothing used since last time" is off (it would echo the last reading back).
    """
    previous = previous_snapshot(meter)
    shown_previous = previous if reveal_history else None
    if request.method != "POST":
        return FormRound(ReadingForm(meter=meter, ask_date=ask_date), previous=shown_previous)
    data = request.POST.copy()
    if "same_as_last" in data and reveal_history:  # "Nothing used since last time": the previous values
        for zone, value in previous.values.items():
            data[zone] = str(value)
    form = ReadingForm(data, request.FILES, meter=meter, ask_date=ask_date)
    if not form.is_valid():
        return FormRound(form, previous=shown_previous)
    swap_answer = data.get("swap")
    outcome = reading_submit(
        meter=meter,
        values=form.values(),
        reading_date=form.cleaned_data["reading_date"] if ask_date else timezone.localdate(),
        channel=channel,
        submitted_by=request.user if request.user.is_authenticated else None,
        now=timezone.now(),
        today=timezone.localdate(),
        swap_confirmed={"yes": True, "no": False}.get(swap_answer),
        photo=form.cleaned_data.get("photo"),
        photo_required_for_review=True,
    )
    by_zone, general = problems_by_zone(outcome.problems, meter, reveal_history=reveal_history)
    if outcome.status not in (SWAP_QUESTION,):
        for zone, messages in by_zone.items():
            for message in messages:
                form.add_error(zone, message)
        for message in general:
            form.add_error(None, message)
    return FormRound(form, outcome=outcome, previous=shown_previous)
