"""Reading forms: one field per zone, named the way the meter's display names it."""

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.widgets import IsoDateInput
from readings.models import ZONE_TITLES, Meter
from readings.photo_reading import TOO_MANY_READS
from readings.photos import NOT_A_PHOTO, TOO_LARGE, TOO_MANY_PIXELS, PhotoError, photo_reencode
from readings.selectors import labels_text


def zone_label(meter: Meter, zone: str) -> str:
    labels = labels_text(meter.labels_for(zone))
    title = str(ZONE_TITLES[zone])
    if not labels:
        return title
    return _("%(zone)s, shown as %(labels)s on the display") % {"zone": title, "labels": labels}


def photo_error_text(code: str) -> str:
    """A refused photo in the customer's words (readings/photos.py codes); the forms and the API say the same."""
    messages = {
        TOO_LARGE: _("The photo is larger than %(limit)s: send a smaller one.")
        % {"limit": filesizeformat(settings.READING_PHOTO_MAX_BYTES)},
        TOO_MANY_PIXELS: _("The photo has more than %(megapixels)s megapixels: send a smaller one.")
        % {"megapixels": settings.READING_PHOTO_MAX_PIXELS // 1_000_000},
        NOT_A_PHOTO: _("Send a photo (JPEG, PNG, HEIC or WebP)."),
        TOO_MANY_READS: _("Many photos of this meter were read in the last hour. Type the numbers, please."),
    }
    return str(messages[code])


class ReadingForm(forms.Form):
    """Values per zone plus the date. Validation of the numbers themselves is the service's job.

    `scan` is the "take a photo" step at the top (readings/photo_reading.py reads it and pre-fills the zones);
    `held_photo` carries the signed token of the photo it read (readings/held_photos.py), so the reading keeps
    that photo without a second upload. Both are optional: the form works as before without them.
    """

    reading_date = forms.DateField(label=_("Date of the reading"), widget=IsoDateInput(), required=True)
    photo = forms.FileField(
        label=_("Photo of the display"),
        required=False,
        help_text=_("A clear photo where the numbers can be read (JPEG, PNG, HEIC or WebP, up to 10 MB)."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    scan = forms.FileField(
        label=_("Take a photo of the display"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment", "data-photo-scan": ""}),
    )
    held_photo = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, meter: Meter, ask_date: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.meter = meter
        for zone in meter.zones:
            self.fields[zone] = forms.CharField(
                label=zone_label(meter, zone),
                required=False,  # the service names a missing zone with its display label
                max_length=meter.register_digits + 4,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric",
                        "autocomplete": "off",
                        "pattern": "[0-9 ]*",
                        "maxlength": meter.register_digits + 2,
                        "class": "reading-input",
                    }
                ),
            )
        self.fields["reading_date"].initial = timezone.localdate()
        if not ask_date:
            del self.fields["reading_date"]  # the server's today (the public form): nothing to tamper with
        self.order_fields(["scan", *meter.zones, "reading_date", "photo", "held_photo"])

    def zone_fields(self):
        return [self[zone] for zone in self.meter.zones]

    def values(self) -> dict[str, str]:
        return {zone: self.cleaned_data.get(zone, "") for zone in self.meter.zones}

    def clean_photo(self):
        return self._reencoded("photo")

    def clean_scan(self):
        # Sent with numbers typed: what the customer typed wins, and the photo is kept like `photo`.
        return self._reencoded("scan")

    def _reencoded(self, name: str):
        """Only a decoded and re-encoded picture is kept (readings/photos.py); the upload itself never is."""
        photo = self.cleaned_data.get(name)
        if not photo:
            return photo
        try:
            encoded = photo_reencode(
                photo,
                size=photo.size,
                max_bytes=settings.READING_PHOTO_MAX_BYTES,
                max_pixels=settings.READING_PHOTO_MAX_PIXELS,
            )
        except PhotoError as error:
            raise forms.ValidationError(photo_error_text(error.code), code=error.code) from error
        return ContentFile(encoded.content, name=f"photo.{encoded.extension}")
