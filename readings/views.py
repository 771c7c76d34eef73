"""Cabinet pages for meters: pass a reading, the receipt, the history with its chart and CSV, photos."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import account_for_user
from accounts.windows import HISTORY_MONTHS, add_months, history_start, month_start
from portal.templatetags.portal_format import month_year
from readings.chart import ChartMonth, bar_chart
from readings.models import ZONE_TITLES, Channel, Meter, Reading
from readings.photos import CONTENT_TYPES, PhotoError, photo_reencode
from readings.selectors import meter_has_readings_before, meter_history, monthly_consumption
from readings.submission import reading_form_round


def _meter_of(request, number, serial) -> tuple:
    account = account_for_user(request.user, number)
    meter = get_object_or_404(Meter, account=account, serial_number=serial)
    return account, meter


@login_required
@require_http_methods(["GET", "POST"])
def reading_new(request, number, serial):
    account, meter = _meter_of(request, number, serial)
    if not meter.is_active:
        raise Http404("This meter was removed.")
    round_ = reading_form_round(request, meter=meter, channel=Channel.CABINET, ask_date=True)
    if round_.stored:
        return redirect("reading_receipt", number=account.number, pk=round_.outcome.reading.pk)
    context = {"account": account, "meter": meter, "round": round_, "form": round_.form}
    return render(request, "readings/submit.html", context, status=400 if round_.form.errors else 200)


def receipt_context(reading: Reading, *, consumption: bool = True) -> dict:
    """The receipt; without `consumption` (the public form) no "kWh since the previous reading"."""
    row = next(row for row in meter_history(reading.meter) if row.reading.pk == reading.pk)
    return {"reading": reading, "row": row, "lines": receipt_lines(reading, row, consumption=consumption)}


def receipt_lines(reading, row, *, consumption: bool = True):
    from readings.forms import zone_label

    used = (row.consumption or {}) if consumption else {}
    return [(zone_label(reading.meter, zone), value, used.get(zone)) for zone, value in row.values]


@login_required
@require_GET
def reading_receipt(request, number, pk):
    account = account_for_user(request.user, number)
    reading = get_object_or_404(Reading.objects.select_related("meter"), pk=pk, meter__account=account)
    return render(request, "readings/receipt.html", {"account": account, **receipt_context(reading)})


@login_required
@require_GET
def meter_history_page(request, number, serial):
    account, meter = _meter_of(request, number, serial)
    today = timezone.localdate()
    # The last 24 months unless the customer asks for all: a constant number of queries at any age.
    show_all = request.GET.get("all") == "1"
    since = None if show_all else history_start(today)
    history = meter_history(meter, since=since)
    last_month = month_start(today)
    months = [add_months(last_month, -offset) for offset in range(12, -1, -1)]
    bars = monthly_consumption(history, months=months, zones=meter.zones)
    titles = {zone: str(ZONE_TITLES[zone]) for zone in meter.zones}
    chart = bar_chart(
        [
            ChartMonth(
                month=date_format(bar.month, "M"),
                # The year under January, and under the first month unless January follows too closely.
                year=str(bar.month.year) if bar.month.month == 1 or (index == 0 and bar.month.month <= 10) else "",
                by_zone=bar.by_zone if bar.measured else None,
                title=month_year(bar.month),
            )
            for index, bar in enumerate(bars)
        ],
        meter.zones,
        titles,
        kwh=_("kWh"),
    )
    context = {
        "account": account,
        "meter": meter,
        "history": history,
        "bars": bars,
        "chart": chart,
        "titles": titles,
        "show_all": show_all,
        "has_older": since is not None and meter_has_readings_before(meter, since),
        "history_months": HISTORY_MONTHS,
    }
    return render(request, "readings/history.html", context)


@login_required
@require_GET
def meter_history_csv(request, number, serial):
    account, meter = _meter_of(request, number, serial)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="readings-{account.number}-{meter.serial_number}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the Cyrillic right
    writer = csv.writer(response)
    writer.writerow(
        ["reading_date", "submitted_at", "billing_month", "channel", "status", "zone", "value", "consumption_kwh"]
    )
    for row in meter_history(meter):
        reading = row.reading
        for zone, value in row.values:
            used = row.consumption.get(zone) if row.consumption else ""
            writer.writerow(
                [
                    reading.reading_date.isoformat(),
                    timezone.localtime(reading.submitted_at).isoformat(timespec="minutes"),
                    reading.billing_month.strftime("%Y-%m"),
                    reading.channel,
                    "superseded" if reading.superseded_at else reading.status,
                    zone,
                    value,
                    used,
                ]
            )
    return response


@login_required
@require_GET
def reading_photo(request, number, pk):
    """A stored photo, always as the image type the portal encoded and never as anything a browser runs."""
    account = account_for_user(request.user, number)
    reading = get_object_or_404(Reading, pk=pk, meter__account=account)
    if not reading.photo:
        raise Http404(_("No photo."))
    extension = reading.photo.name.rsplit(".", 1)[-1].lower()
    if extension in CONTENT_TYPES:
        response = FileResponse(reading.photo.open("rb"), content_type=CONTENT_TYPES[extension])
    else:
        # Stored before photos were re-encoded on upload, under the sender's extension: encode it now.
        with reading.photo.open("rb") as stored:
            try:
                encoded = photo_reencode(
                    stored,
                    size=reading.photo.size,
                    max_bytes=settings.READING_PHOTO_MAX_BYTES,
                    max_pixels=settings.READING_PHOTO_MAX_PIXELS,
                )
            except PhotoError as error:
                raise Http404(_("No photo.")) from error
        extension = encoded.extension
        response = HttpResponse(encoded.content, content_type=encoded.content_type)
    response["Content-Disposition"] = f'inline; filename="reading-{reading.pk}.{extension}"'
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    # Even a browser that ignored the type could run nothing from this response.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
