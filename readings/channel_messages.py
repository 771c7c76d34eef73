"""What a submission's outcome says to a caller on a channel (API, voice menu, SMS, Telegram): a message to
read and a shorter sentence to speak, in the active language."""

from django.utils.translation import gettext as _

from accounts.languages import month_in_sentence
from readings import services as reading_services
from readings.messages import problem_message, zone_name
from readings.models import ZONE_TITLES, Meter
from readings.services import SubmitOutcome


def values_text(meter: Meter, values: dict) -> str:
    return ", ".join(f"{str(ZONE_TITLES[zone]).lower()} {values[zone]}" for zone in meter.zones if zone in values)


def outcome_words(outcome: SubmitOutcome, meter: Meter) -> tuple[str, str]:
    """(message, speech) for a submission's outcome, in the active language."""
    if outcome.status in (reading_services.ACCEPTED, reading_services.DUPLICATE, reading_services.PENDING_REVIEW):
        reading = outcome.reading
        month = month_in_sentence(outcome.billing_month) if outcome.billing_month else ""
        used = ", ".join(
            _("%(kwh)s kWh %(zone)s") % {"kwh": kwh, "zone": str(ZONE_TITLES[zone]).lower()}
            for zone, kwh in outcome.consumption_kwh.items()
        )
        if outcome.status == reading_services.PENDING_REVIEW:
            message = _(
                "Reading received: %(values)s. It is much higher than usual, so our staff will check it; you will "
                "be told the result."
            ) % {"values": values_text(meter, reading.values)}
        elif outcome.status == reading_services.DUPLICATE:
            message = _("This reading was already received: %(values)s.") % {
                "values": values_text(meter, reading.values)
            }
        else:
            message = _("Reading accepted: %(values)s. It goes to the bill for %(month)s.") % {
                "values": values_text(meter, reading.values),
                "month": month,
            }
            if used:
                message += " " + _("Used since the last reading: %(used)s.") % {"used": used}
        return message, message
    if outcome.status == reading_services.SWAP_QUESTION:
        message = _(
            "Did you swap %(day)s and %(night)s? Send the reading again with swap_confirmed true to store them "
            "swapped, or false to keep them as entered."
        ) % {"day": zone_name(meter, "day"), "night": zone_name(meter, "night")}
        return message, _("Did you swap day and night? Press 1 for yes, 2 for no.")
    if outcome.status == reading_services.NEEDS_PHOTO:
        message = _("The reading is much higher than usual: attach a photo of the display in the cabinet.")
        return message, message
    texts = [problem_message(problem, meter) for problem in outcome.problems]
    message = " ".join(texts) or _("The reading was not accepted.")
    return message, texts[0] if texts else message
