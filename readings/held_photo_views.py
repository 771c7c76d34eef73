"""The photo the reading form holds, shown beside "check these numbers" so the customer compares the numbers
with the picture. Only to whoever may pass a reading for that meter: the account's own user in the cabinet,
or the visitor whose public-form session identified it."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.models import AccountLink
from readings.held_photos import held_photo, held_photo_meter_id
from readings.photos import CONTENT_TYPES
from readings.public_views import confirmed_session_meter_id


def _may_see(request, meter_id: int) -> bool:
    if (
        request.user.is_authenticated
        and AccountLink.objects.filter(user=request.user, account__meters__pk=meter_id).exists()
    ):
        return True
    return confirmed_session_meter_id(request) == meter_id


@require_GET
def held_photo_image(request, token):
    meter_id = held_photo_meter_id(token)
    if meter_id is None or not _may_see(request, meter_id):
        raise Http404("No such photo.")
    photo = held_photo(token, meter_id=meter_id)
    extension = photo.name.rsplit(".", 1)[-1]
    response = HttpResponse(photo.read(), content_type=CONTENT_TYPES.get(extension, "image/jpeg"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
