"""Readings by channel and day: the figures utilities publish ("61.1 thousand through the site...")."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from readings.models import Channel, Reading

# How the press releases group channels.
PUBLISHED_GROUPS = [
    (gettext_lazy("through the site without registration"), {Channel.WEB_FORM}),
    (gettext_lazy("through the cabinet and the app"), {Channel.CABINET, Channel.API}),
    (gettext_lazy("by chatbots"), {Channel.CHATBOT, Channel.VIBER, Channel.MESSENGER}),
    (gettext_lazy("by voice menu"), {Channel.IVR}),
    (gettext_lazy("by SMS"), {Channel.SMS}),
    (gettext_lazy("by email"), {Channel.EMAIL}),
    (gettext_lazy("by smart meters"), {Channel.AMI}),
    (gettext_lazy("by staff"), {Channel.STAFF}),
]


@dataclass(frozen=True)
class ChannelReport:
    days: list[date]
    channels: list[str]
    counts: dict[tuple[date, str], int]
    by_channel: dict[str, int]
    by_day: dict[date, int]
    total: int
    published: list[tuple[str, int]]


def readings_by_channel_and_day(*, start: date, end: date) -> ChannelReport:
    """Readings submitted from `start` to `end` inclusive (portal time), counted in one grouped query."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone)
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    rows = (
        Reading.objects.filter(submitted_at__gte=since, submitted_at__lt=until, superseded_at__isnull=True)
        .annotate(submitted_day=TruncDate("submitted_at", tzinfo=zone))
        .values("submitted_day", "channel")
        .annotate(count=Count("id"))
    )
    counts = {(row["submitted_day"], row["channel"]): row["count"] for row in rows}
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    channels = [channel for channel in Channel.values if any(key[1] == channel for key in counts)]
    by_channel = {channel: sum(n for (_, c), n in counts.items() if c == channel) for channel in channels}
    by_day = {day: sum(n for (d, _), n in counts.items() if d == day) for day in days}
    published = [
        (str(label), sum(by_channel.get(channel, 0) for channel in members))
        for label, members in PUBLISHED_GROUPS
        if any(by_channel.get(channel) for channel in members)
    ]
    return ChannelReport(days, channels, counts, by_channel, by_day, sum(by_channel.values()), published)


def in_thousands(count: int) -> str:
    """61 100 -> '61.1 thousand' (localized); small numbers stay as they are."""
    if count < 1000:
        return number_format(count)
    value = round(count / 1000, 1)
    shown = number_format(value, decimal_pos=0 if value == int(value) else 1)
    return _("%(number)s thousand") % {"number": shown}
