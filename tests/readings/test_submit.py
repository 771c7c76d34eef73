"""reading_submit: the one service every channel calls, with worked numbers."""

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from readings.models import Channel, ClosedMonth, Reading, ReadingDecision, ReadingStatus
from readings.services import (
    ACCEPTED,
    DUPLICATE,
    NEEDS_PHOTO,
    PENDING_REVIEW,
    REJECTED,
    SWAP_QUESTION,
    month_close,
    reading_review,
    reading_submit,
)
from readings.validation import DATE_BEFORE_PREVIOUS, LOWER_THAN_PREVIOUS, MONTH_CLOSED, WINDOW_CLOSED
from tests.factories import MeterFactory, UserFactory
from tests.readings.conftest import aware

pytestmark = pytest.mark.django_db

DEC_2 = datetime.date(2026, 12, 2)


def submit(meter, values, *, on=DEC_2, reading_date=None, channel=Channel.CABINET, **extra):
    return reading_submit(
        meter=meter,
        values=values,
        reading_date=reading_date or on,
        channel=channel,
        submitted_by=None,
        now=aware(on),
        today=on,
        **extra,
    )


def test_accepted_with_consumption_and_billing_month(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    assert outcome.status == ACCEPTED
    assert outcome.consumption_kwh == {"day": 207, "night": 106}
    assert outcome.billing_month == datetime.date(2026, 11, 1)  # 2 December, Kyiv window: November
    reading = outcome.reading
    assert (reading.day, reading.night, reading.status, reading.channel) == (28100, 14020, "accepted", "cabinet")


def test_submitted_on_the_4th_bills_december(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "28100", "night": "14020"}, on=datetime.date(2026, 12, 4))
    assert outcome.billing_month == datetime.date(2026, 12, 1)


def test_after_the_final_pass_the_reading_goes_to_the_next_month(two_zone_meter):
    month_close(month=datetime.date(2026, 11, 1), now=aware(DEC_2))
    assert submit(two_zone_meter, {"day": "28100", "night": "14020"}).billing_month == datetime.date(2026, 12, 1)


def test_identical_repeat_is_idempotent(two_zone_meter):
    first = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    again = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    assert again.status == DUPLICATE and again.reading.pk == first.reading.pk
    assert Reading.objects.filter(meter=two_zone_meter).count() == 3


def test_a_correction_the_same_day_supersedes_and_history_keeps_both(two_zone_meter):
    first = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    second = submit(two_zone_meter, {"day": "28110", "night": "14020"})
    assert second.status == ACCEPTED and second.reading.supersedes_id == first.reading.pk
    assert second.consumption_kwh == {"day": 217, "night": 106}  # against 30 October, not the mistake
    first.reading.refresh_from_db()
    assert first.reading.superseded_at is not None
    assert Reading.objects.filter(meter=two_zone_meter, reading_date=DEC_2).count() == 2
    assert Reading.objects.current().filter(meter=two_zone_meter, reading_date=DEC_2).get().day == 28110


def test_no_correction_once_the_month_is_closed(two_zone_meter):
    submit(two_zone_meter, {"day": "28100", "night": "14020"})
    ClosedMonth.objects.create(month=datetime.date(2026, 11, 1))
    outcome = submit(two_zone_meter, {"day": "28110", "night": "14020"})
    assert outcome.status == REJECTED and outcome.problems[0].code == MONTH_CLOSED


def test_lower_value_is_rejected_and_nothing_is_stored(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "27000", "night": "13000"})
    assert outcome.status == REJECTED
    assert [p.code for p in outcome.problems] == [LOWER_THAN_PREVIOUS, LOWER_THAN_PREVIOUS]
    assert Reading.objects.filter(meter=two_zone_meter).count() == 2


def test_swapped_pair_is_asked_then_stored_corrected(two_zone_meter):
    values = {"day": "14020", "night": "28100"}
    asked = submit(two_zone_meter, values)
    assert asked.status == SWAP_QUESTION and not asked.saved
    assert asked.swap_values == {"day": 28100, "night": 14020}
    confirmed = submit(two_zone_meter, values, swap_confirmed=True)
    assert confirmed.status == ACCEPTED and confirmed.reading.swap_corrected
    assert (confirmed.reading.day, confirmed.reading.night) == (28100, 14020)


def test_swap_declined_keeps_the_rejection(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "14020", "night": "28100"}, swap_confirmed=False)
    assert outcome.status == REJECTED


def test_implausible_goes_to_review_and_the_cabinet_asks_for_a_photo(two_zone_meter):
    # Usual use: (893 + 414) / 183 days = 7.1 kWh/day; 5x = 35.7. 33 days to 2 December.
    values = {"day": "29000", "night": "14400"}  # 1107 + 486 = 1593 kWh = 48.3/day
    asked = submit(two_zone_meter, values, photo_required_for_review=True)
    assert asked.status == NEEDS_PHOTO and not asked.saved
    photo = SimpleUploadedFile("display.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    stored = submit(two_zone_meter, values, photo_required_for_review=True, photo=photo)
    assert stored.status == PENDING_REVIEW and stored.reading.status == ReadingStatus.PENDING_REVIEW
    assert stored.reading.photo.name.startswith("reading-photos/") and "02000007" not in stored.reading.photo.name


def test_api_channels_store_implausible_readings_for_review_without_a_photo(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "29000", "night": "14400"}, channel=Channel.SMS)
    assert outcome.status == PENDING_REVIEW


def test_customers_cannot_pass_a_reading_dated_before_the_last_one(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "27500", "night": "13800"}, reading_date=datetime.date(2026, 9, 30))
    assert outcome.status == REJECTED and outcome.problems[0].code == DATE_BEFORE_PREVIOUS


def test_staff_can_enter_a_backdated_reading(two_zone_meter):
    outcome = submit(
        two_zone_meter,
        {"day": "27700", "night": "13800"},
        reading_date=datetime.date(2026, 9, 30),
        channel=Channel.STAFF,
    )
    assert outcome.status == ACCEPTED and outcome.consumption_kwh == {"day": 300, "night": 100}


@pytest.mark.parametrize(
    ("channel", "today", "status"),
    [
        (Channel.CABINET, datetime.date(2026, 11, 26), REJECTED),
        (Channel.WEB_FORM, datetime.date(2026, 11, 19), REJECTED),
        (Channel.CABINET, datetime.date(2026, 11, 20), ACCEPTED),
        (Channel.CABINET, datetime.date(2026, 11, 25), ACCEPTED),
        (Channel.STAFF, datetime.date(2026, 11, 26), ACCEPTED),
        (Channel.AMI, datetime.date(2026, 11, 26), ACCEPTED),
    ],
)
def test_strict_window_refuses_customers_outside_it(dek, channel, today, status):
    meter = MeterFactory(account__district=dek, installed_on=datetime.date(2026, 1, 1))
    outcome = submit(meter, {"total": "1200"}, on=today, channel=channel)
    assert outcome.status == status
    if status == REJECTED:
        assert outcome.problems[0].code == WINDOW_CLOSED
        assert outcome.problems[0].params["opens_on"] in (datetime.date(2026, 12, 20), datetime.date(2026, 11, 20))


def test_review_accept_and_reject_with_reason(two_zone_meter):
    staff = UserFactory(is_staff=True)
    pending = submit(two_zone_meter, {"day": "29000", "night": "14400"}, channel=Channel.SMS).reading
    with pytest.raises(ValueError, match="needs a reason"):
        reading_review(reading=pending, decision="reject", reason=" ", staff=staff, now=aware(DEC_2))
    reading_review(reading=pending, decision="reject", reason="The photo shows 28 100.", staff=staff, now=aware(DEC_2))
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("rejected", "The photo shows 28 100.")
    assert ReadingDecision.objects.get().decided_by == staff
    with pytest.raises(ValueError, match="not waiting"):
        reading_review(reading=pending, decision="accept", reason="", staff=staff, now=aware(DEC_2))


def test_a_rejected_reading_leaves_room_for_a_new_one_the_same_day(two_zone_meter):
    staff = UserFactory(is_staff=True)
    pending = submit(two_zone_meter, {"day": "29000", "night": "14400"}, channel=Channel.SMS).reading
    reading_review(reading=pending, decision="reject", reason="Too high", staff=staff, now=aware(DEC_2))
    assert submit(two_zone_meter, {"day": "28100", "night": "14020"}).status == ACCEPTED


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_one_wins_nothing_lost_or_duplicated(two_zone_meter, postgresql_only):
    barrier = threading.Barrier(2)
    outcomes = []

    def pass_reading(day):
        try:
            barrier.wait()
            outcomes.append(submit(two_zone_meter, {"day": str(day), "night": "14020"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=pass_reading, args=(day,)) for day in (28100, 28150)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome.status for outcome in outcomes) == [ACCEPTED, ACCEPTED]
    rows = Reading.objects.filter(meter=two_zone_meter, reading_date=DEC_2)
    assert rows.count() == 2  # both kept: nothing lost
    assert rows.filter(superseded_at__isnull=True).count() == 1  # one counts: nothing duplicated
    later = rows.get(superseded_at__isnull=True)
    assert later.supersedes_id == rows.exclude(pk=later.pk).get().pk


def test_an_older_reading_sent_again_is_a_duplicate_not_an_error(two_zone_meter):
    """A chatbot retrying the October reading in December gets the stored reading back."""
    again = submit(two_zone_meter, {"day": "27893", "night": "13914"}, reading_date=datetime.date(2026, 10, 30))
    assert again.status == DUPLICATE and again.reading.reading_date == datetime.date(2026, 10, 30)


def test_none_for_a_zone_the_meter_lacks_is_ignored(two_zone_meter):
    outcome = submit(two_zone_meter, {"day": "28100", "night": "14020", "total": None, "peak": ""})
    assert outcome.status == ACCEPTED


def test_a_removed_meter_takes_its_removal_reading_and_nothing_later(two_zone_meter):
    two_zone_meter.removed_on = datetime.date(2026, 12, 1)
    two_zone_meter.save()
    removal = submit(
        two_zone_meter,
        {"day": "28000", "night": "14000"},
        reading_date=datetime.date(2026, 12, 1),
        channel=Channel.STAFF,
    )
    assert removal.status == ACCEPTED
    later = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    assert later.status == REJECTED and later.problems[0].code == "meter_inactive"


def test_the_same_numbers_after_a_staff_rejection_are_refused_with_the_reason(two_zone_meter):
    staff = UserFactory(is_staff=True)
    pending = submit(two_zone_meter, {"day": "29000", "night": "14400"}, channel=Channel.SMS).reading
    reading_review(reading=pending, decision="reject", reason="The photo shows 28 100.", staff=staff, now=aware(DEC_2))
    again = submit(two_zone_meter, {"day": "29000", "night": "14400"}, channel=Channel.SMS)
    assert again.status == REJECTED and again.problems[0].code == "previously_rejected"
    assert again.problems[0].params["reason"] == "The photo shows 28 100."
    assert Reading.objects.filter(meter=two_zone_meter, reading_date=DEC_2).count() == 1


def test_a_rejected_correction_leaves_the_original_current(two_zone_meter):
    """Staff reject a same-day correction that waited for review: the reading it would have replaced counts
    again (DESIGN.md "Reading validation"), and the history keeps both."""
    first = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    assert first.status == ACCEPTED
    # 1 107 + 106 kWh in 33 days (36.8 a day) against a usual 3.9 a day: five times more goes to review.
    correction = submit(two_zone_meter, {"day": "29000", "night": "14020"})
    assert correction.status == PENDING_REVIEW and correction.reading.supersedes_id == first.reading.pk
    reading_review(
        reading=correction.reading,
        decision="reject",
        reason="the photo shows 28100",
        staff=UserFactory(is_staff=True),
        now=aware(DEC_2, 12),
    )
    current = Reading.objects.current().get(meter=two_zone_meter, reading_date=DEC_2)
    assert (current.pk, current.day, current.superseded_at) == (first.reading.pk, 28100, None)
    assert Reading.objects.get(pk=correction.reading.pk).status == ReadingStatus.REJECTED


def test_an_accepted_correction_keeps_the_original_superseded(two_zone_meter):
    first = submit(two_zone_meter, {"day": "28100", "night": "14020"})
    correction = submit(two_zone_meter, {"day": "29000", "night": "14020"})
    reading_review(
        reading=correction.reading, decision="accept", reason="", staff=UserFactory(is_staff=True), now=aware(DEC_2)
    )
    current = Reading.objects.current().get(meter=two_zone_meter, reading_date=DEC_2)
    assert current.pk == correction.reading.pk
    assert Reading.objects.get(pk=first.reading.pk).superseded_at is not None
