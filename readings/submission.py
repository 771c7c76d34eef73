"""The reading form's round trip, shared by the cabinet and the public form: validate, ask, store."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from readings.forms import ReadingForm, photo_error_text
from readings.held_photos import held_photo, held_photo_release, photo_hold
from readings.messages import problems_by_zone
from readings.models import Meter
from readings.photo_reading import UNREADABLE, PhotoReading, photo_read, photo_reading_advice
from readings.photos import PhotoError
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
    photo_reading: PhotoReading | None = None  # the "take a photo" step's result, shown as "check these numbers"

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

    @property
    def holds_photo(self) -> bool:
        """A photo the form read is held for the reading (it is sent with it, no second upload)."""
        return bool(self.form["held_photo"].value())

    @property
    def photo_unreadable(self) -> bool:
        return self.photo_reading is not None and self.photo_reading.doubt == UNREADABLE

    @property
    def photo_advice(self) -> str:
        return photo_reading_advice(self.photo_reading) if self.photo_reading else ""

    @property
    def photo_lines(self):
        """(zone label, value read) for the values the photo pre-filled."""
        if self.photo_reading is None or self.photo_unreadable:
            return []
        values = self.photo_reading.values
        return [(self.form[zone].label, values[zone]) for zone in self.form.meter.zones if zone in values]

    @property
    def photo_missing_labels(self) -> list[str]:
        """The zones the photo did not show (a two-zone display shows one register at a time)."""
        if self.photo_reading is None or self.photo_unreadable:
            return []
        return [self.form[zone].label for zone in self.photo_reading.missing_zones(self.form.meter.zones)]


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
    scan = request.FILES.get("scan")
    typed = any(str(data.get(zone, "")).strip() for zone in meter.zones)
    if "recognize" in data or (scan is not None and not typed and "same_as_last" not in data):
        # "Read the numbers from the photo" (or Send with a photo and nothing typed): pre-fill, store nothing.
        return _recognize_round(data, scan, meter=meter, ask_date=ask_date, previous=shown_previous)
    if "same_as_last" in data and reveal_history:  # "Nothing used since last time": the previous values
        for zone, value in previous.values.items():
            data[zone] = str(value)
    form = ReadingForm(data, request.FILES, meter=meter, ask_date=ask_date)
    if not form.is_valid():
        return FormRound(form, previous=shown_previous)
    swap_answer = data.get("swap")
    held_token = form.cleaned_data.get("held_photo") or ""
    photo = form.cleaned_data.get("photo") or form.cleaned_data.get("scan")
    if not photo and held_token:
        photo = held_photo(held_token, meter_id=meter.pk)
    outcome = reading_submit(
        meter=meter,
        values=form.values(),
        reading_date=form.cleaned_data["reading_date"] if ask_date else timezone.localdate(),
        channel=channel,
        submitted_by=request.user if request.user.is_authenticated else None,
        now=timezone.now(),
        today=timezone.localdate(),
        swap_confirmed={"yes": True, "no": False}.get(swap_answer),
        photo=photo,
        photo_required_for_review=True,
    )
    if outcome.saved and held_token:
        held_photo_release(held_token, meter_id=meter.pk)  # the reading keeps its own copy
    by_zone, general = problems_by_zone(outcome.problems, meter, reveal_history=reveal_history)
    if outcome.status not in (SWAP_QUESTION,):
        for zone, messages in by_zone.items():
            for message in messages:
                form.add_error(zone, message)
        for message in general:
            form.add_error(None, message)
    return FormRound(form, outcome=outcome, previous=shown_previous)


def _recognize_round(data, scan, *, meter: Meter, ask_date: bool, previous: Snapshot | None) -> FormRound:
    """Read the photo, hold it for the reading and return the form with the values read filled in.

    Values the customer typed stay unless the photo read that zone (a second photo of a two-zone display
    fills the other zone); nothing read with low confidence is filled in: the customer types it.
    """
    data = data.copy()
    data.pop("recognize", None)
    if scan is None:
        form = ReadingForm(data, meter=meter, ask_date=ask_date)
        form.is_valid()
        form.add_error("scan", _("Choose or take a photo of the display first."))
        return FormRound(form, previous=previous)
    try:
        reading = photo_read(meter=meter, upload=scan, size=scan.size, today=timezone.localdate())
    except PhotoError as error:
        form = ReadingForm(data, meter=meter, ask_date=ask_date)
        form.is_valid()
        form.add_error("scan", photo_error_text(error.code))
        return FormRound(form, previous=previous)
    if reading.doubt != UNREADABLE:
        for zone, value in reading.values.items():
            data[zone] = str(value)
    data["held_photo"] = photo_hold(meter_id=meter.pk, photo=reading.photo)
    form = ReadingForm(data, meter=meter, ask_date=ask_date)
    form.is_valid()  # shows a wrong date the customer typed; the zones are the service's to judge on Send
    return FormRound(form, previous=previous, photo_reading=reading)
