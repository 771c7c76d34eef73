"""A correction never silently replaces an invoiced reading (issue 12 item 9; DESIGN.md "Reading validation"):
a reading a charge has used, here the interim charge of a self-generated invoice, is corrected by staff
only; the customer is told so in plain words in their language; the invoice keeps its money.

Tariff 4.32 UAH/kWh, night 2.16; the meter read 27 400 / 13 700 on 30 April and 27 893 / 13 914 on
30 October: October is 893 kWh x 4.32 + 414 kWh x 2.16 = 4752.00.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from billing.invoices.services import invoice_generate
from billing.models import Charge
from readings.messages import problem_message
from readings.models import Channel, Reading
from readings.services import ACCEPTED, REJECTED, reading_submit
from readings.validation import READING_BILLED
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone as read
from tests.factories import MeterFactory, PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
OCT_30, NOV_2 = D(2026, 10, 30), D(2026, 11, 2)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 2, 9, 0))


@pytest.fixture
def invoiced_meter(prices, kyiv):
    """A self-mode account whose customer pressed "create my invoice" on 2 November: the 30 October reading
    is billed by an interim charge of that invoice."""
    account = PersonalAccountFactory(district=kyiv, number="1000000001", residents=3, invoice_mode="self")
    meter = MeterFactory(
        account=account, zone_set=TWO_ZONE, installed_on=D(2026, 1, 15), install_day=27000, install_night=13500
    )
    read(meter, D(2026, 4, 30), 27400, 13700)
    read(meter, OCT_30, 27893, 13914)
    invoice = invoice_generate(account=account, user=UserFactory(), today=NOV_2, now=NOW)
    assert invoice.charges_total == Decimal("4752.00")
    return meter, invoice


def correct(meter, channel, day=27983, night=13914, user=None):
    return reading_submit(
        meter=meter,
        values={"day": str(day), "night": str(night)},
        reading_date=OCT_30,
        channel=channel,
        submitted_by=user,
        now=NOW,
        today=NOV_2,
    )


def current_on_oct_30(meter):
    return Reading.objects.current().get(meter=meter, reading_date=OCT_30)


@pytest.mark.parametrize("channel", [Channel.CABINET, Channel.WEB_FORM, Channel.API, Channel.SMS, Channel.AMI])
def test_a_customer_cannot_replace_a_reading_an_interim_charge_used(invoiced_meter, channel):
    meter, invoice = invoiced_meter
    outcome = correct(meter, channel)
    assert outcome.status == REJECTED and [problem.code for problem in outcome.problems] == [READING_BILLED]
    original = current_on_oct_30(meter)
    assert (original.day, original.night, original.superseded_at) == (27893, 13914, None)
    assert Reading.objects.filter(meter=meter, reading_date=OCT_30).count() == 1  # nothing stored
    invoice.refresh_from_db()
    assert invoice.charges_total == Decimal("4752.00")
    assert Charge.objects.filter(account=meter.account).count() == 2


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "uk",
            "Покази на 30 жовтня 2026 уже враховано в нарахуванні, тому змінити їх тут не можна. Якщо в них "
            "помилка, зверніться до центру обслуговування: працівник виправить їх.",
        ),
        (
            "ru",
            "Показания на 30 октября 2026 уже учтены в начислении, поэтому изменить их здесь нельзя. Если в них "
            "ошибка, обратитесь в центр обслуживания: сотрудник их исправит.",
        ),
        (
            "en",
            "The reading for 30 October 2026 has already been used in a charge, so it can no longer be changed "
            "here. If it is wrong, contact the service centre: our staff will correct it.",
        ),
    ],
)
def test_the_customer_is_told_in_plain_words_who_can_correct_it(invoiced_meter, language, words):
    meter, _ = invoiced_meter
    (problem,) = correct(meter, Channel.CABINET).problems
    with translation.override(language):
        assert problem_message(problem, meter) == words


def test_the_same_numbers_again_are_a_harmless_repeat(invoiced_meter):
    meter, _ = invoiced_meter
    outcome = correct(meter, Channel.CABINET, day=27893, night=13914)
    assert outcome.status == "duplicate" and outcome.reading == current_on_oct_30(meter)


def test_staff_correct_a_billed_reading_and_the_history_keeps_both(invoiced_meter):
    meter, _ = invoiced_meter
    outcome = correct(meter, Channel.STAFF, user=UserFactory(is_staff=True))
    assert outcome.status == ACCEPTED
    corrected = current_on_oct_30(meter)
    assert (corrected.day, corrected.channel, corrected.supersedes.day) == (27983, "staff", 27893)
    assert corrected.supersedes.superseded_at == NOW
