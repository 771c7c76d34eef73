"""Reminders to pass readings, by email: on the day a district's window opens and the day before it closes.

The daily job (`readings.tasks.reminders_daily`) asks `reminder_chunks` which districts send what today and
fans the accounts out in chunks of ids, like the billing run; `reminders_chunk_send` does one chunk in one
transaction with a few set-based queries: the meters still without a reading, one INSERT of the `Reminder`
rows (conflicts ignored, so a rerun finds nothing new), the links that want reminders, one INSERT of the
emails. One email per user and account lists that account's meters still without a reading.
"""

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.formats import date_format
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext

from accounts.languages import month_in_sentence
from accounts.models import AccountLink, District, Notice, PersonalAccount
from accounts.services import EmailDraft, absolute_url, emails_enqueue, notice_draft
from readings.models import ZONE_TITLES, Meter, Reading, ReadingStatus, Reminder
from readings.reminder_dates import OPENS, reminders_due
from readings.selectors import labels_text
from readings.zones import zones_of

EMAIL_KIND = "reading_reminder"


@dataclass(frozen=True)
class ReminderChunk:
    """One task's share of a day's reminders: JSON-friendly, so it travels as task arguments."""

    district_id: int
    kind: str
    month: str  # YYYY-MM-DD, the first day of the billing month
    first_account_id: int
    last_account_id: int

    def as_kwargs(self) -> dict:
        return {
            "district_id": self.district_id,
            "kind": self.kind,
            "month": self.month,
            "first_account_id": self.first_account_id,
            "last_account_id": self.last_account_id,
        }


def reminder_chunks(*, today: date, chunk_size: int | None = None) -> list[ReminderChunk]:
    """The districts whose window opens today or closes tomorrow, their active accounts cut into chunks."""
    chunk_size = chunk_size or settings.BILLING_CHUNK_SIZE
    chunks = []
    for district in District.objects.order_by("pk"):
        for due in reminders_due(district.window, today):
            ids = list(
                PersonalAccount.objects.filter(district=district, is_active=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            for start in range(0, len(ids), chunk_size):
                part = ids[start : start + chunk_size]
                chunks.append(ReminderChunk(district.pk, due.kind, due.billing_month.isoformat(), part[0], part[-1]))
    return chunks


def meters_without_reading(*, district_id: int, month: date, first_account_id: int, last_account_id: int):
    """Active (not smart: those send their own) meters of the range's active accounts that have no counted
    reading (accepted or waiting for review, not superseded) for `month`, and at least one user who wants
    reminders for the account by email. One query."""
    counted = Reading.objects.filter(
        meter_id=OuterRef("pk"),
        billing_month=month,
        superseded_at__isnull=True,
        status__in=[ReadingStatus.ACCEPTED, ReadingStatus.PENDING_REVIEW],
    )
    wanted = AccountLink.objects.filter(
        account_id=OuterRef("account_id"),
        notify_by_email=True,
        user__is_active=True,
        user__notify_reminders=True,
    )
    return (
        Meter.objects.filter(
            account_id__gte=first_account_id,
            account_id__lte=last_account_id,
            account__district_id=district_id,
            account__is_active=True,
            removed_on__isnull=True,
            is_smart=False,
        )
        .filter(~Exists(counted), Exists(wanted))
        .order_by("account_id", "serial_number")
    )


def _insert_reminders(meters: list[dict], *, month: date, kind: str, now: datetime) -> set[int]:
    """Record the reminders; return the meters recorded now (a meter reminded already is skipped)."""
    if not meters:
        return set()
    table = connection.ops.quote_name(Reminder._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(meters))
    params = []
    for meter in meters:
        params += [meter["account_id"], meter["pk"], month, kind, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, meter_id, month, kind, created_at) VALUES {rows} "
            "ON CONFLICT (meter_id, month, kind) DO NOTHING RETURNING meter_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


# Placeholders a URL pattern's <str:> parts accept and that no quoting changes.
_NUMBER, _SERIAL = "ACCOUNTNUMBERPLACEHOLDER", "METERSERIALPLACEHOLDER"


class ReminderUrls:
    """The addresses a chunk's emails link to, reversed once per language and filled in per meter.

    The profile of a 2,000-account chunk (bench/RESULTS.md) put URL reversing at about a third of a
    reminder's cost: `reverse()` for every meter of every email. The pattern of "pass a reading" is the same
    for every meter in a language, so it is reversed once with placeholders and the account number and
    serial are put in quoted as `reverse()` quotes them. Anything `reverse()` would treat differently
    (an empty part, a slash) goes through `absolute_url` itself."""

    def __init__(self):
        self._reading_new: dict[str, str] = {}
        self._public_form: dict[str, str] = {}

    def reading_new(self, number: str, serial: str, *, language: str) -> str:
        if not number or not serial or "/" in number or "/" in serial:
            return absolute_url("reading_new", number, serial, language=language)
        pattern = self._reading_new.get(language)
        if pattern is None:
            pattern = self._reading_new[language] = absolute_url("reading_new", _NUMBER, _SERIAL, language=language)
        safe = RFC3986_SUBDELIMS + "~:@"
        return pattern.replace(_NUMBER, quote(number, safe=safe)).replace(_SERIAL, quote(serial, safe=safe))

    def public_form(self, *, language: str) -> str:
        if language not in self._public_form:
            self._public_form[language] = absolute_url("public_identify", language=language)
        return self._public_form[language]


@dataclass(frozen=True)
class ChunkResult:
    reminders: int
    emails: int


def reminders_chunk_send(
    *,
    district_id: int,
    kind: str,
    month: date,
    first_account_id: int,
    last_account_id: int,
    now: datetime,
    batch_size: int = 2000,
    queue_sends: bool = True,
) -> ChunkResult:
    """Remind the users of a chunk's accounts. Safe to run twice: the second run records and sends nothing."""
    district = District.objects.get(pk=district_id)
    closes_on = district.window.closes_on(month)
    meters_query = meters_without_reading(
        district_id=district_id, month=month, first_account_id=first_account_id, last_account_id=last_account_id
    ).values("pk", "account_id", "serial_number", "zone_set", "register_labels", "account__number")
    reminders = emails = 0
    with transaction.atomic():
        meters = list(meters_query)
        new_meter_ids: set[int] = set()
        for start in range(0, len(meters), batch_size):
            new_meter_ids |= _insert_reminders(meters[start : start + batch_size], month=month, kind=kind, now=now)
        reminders = len(new_meter_ids)
        by_account: dict[int, list[dict]] = {}
        for meter in meters:
            if meter["pk"] in new_meter_ids:
                by_account.setdefault(meter["account_id"], []).append(meter)
        if not by_account:
            return ChunkResult(0, 0)
        links = (
            AccountLink.objects.filter(
                account_id__in=list(by_account),
                notify_by_email=True,
                user__is_active=True,
                user__notify_reminders=True,
            )
            .order_by("account_id", "user_id")
            .values("account_id", "user_id", "user__email", "user__full_name", "user__preferred_language")
        )
        urls = ReminderUrls()
        drafts = [
            reminder_email(
                kind=kind,
                month=month,
                closes_on=closes_on,
                district=district,
                account_id=link["account_id"],
                meters=by_account[link["account_id"]],
                user_id=link["user_id"],
                email=link["user__email"],
                full_name=link["user__full_name"],
                language=link["user__preferred_language"] or settings.LANGUAGE_CODE,
                urls=urls,
            )
            for link in links
        ]
        emails = emails_enqueue(drafts, queue_sends=queue_sends)
    return ChunkResult(reminders, emails)


def meter_zone_names(zone_set: str, register_labels: dict) -> list[str]:
    """'Day (1.8.2, 15.8.2 or T22)' for each zone of a meter, in the active language."""
    names = []
    for zone in zones_of(zone_set):
        title, labels = str(ZONE_TITLES.get(zone, zone)), labels_text(list(register_labels.get(zone, [])))
        names.append(f"{title} ({labels})" if labels else title)
    return names


def reminder_email(
    *,
    kind: str,
    month: date,
    closes_on: date,
    district: District,
    account_id: int,
    meters: list[dict],
    user_id: int,
    email: str,
    full_name: str,
    language: str,
    urls: ReminderUrls | None = None,
) -> EmailDraft:
    number = meters[0]["account__number"]
    urls = urls or ReminderUrls()
    with translation.override(language):
        month_name = month_in_sentence(month)
        closes = date_format(closes_on, "j E Y")
        context = {
            "opens": kind == OPENS,
            "full_name": full_name,
            "number": number,
            "month": month_name,
            "closes_on": closes,
            "meters": [
                {
                    "serial": meter["serial_number"],
                    "zones": ", ".join(meter_zone_names(meter["zone_set"], meter["register_labels"])),
                    "url": urls.reading_new(number, meter["serial_number"], language=language),
                }
                for meter in meters
            ],
            "public_form_url": urls.public_form(language=language),
            "contact_phone": district.contact_phone,
        }
        if kind == OPENS:
            subject = gettext("Pass your meter reading for %(month)s by %(date)s") % {
                "month": month_name,
                "date": closes,
            }
        else:
            subject = gettext("Tomorrow is the last day to pass your reading for %(month)s") % {"month": month_name}
    return notice_draft(
        notice=Notice.REMINDERS,
        kind=EMAIL_KIND,
        user_id=user_id,
        email=email,
        language=language,
        subject=subject,
        template="emails/reading_reminder.txt",
        context=context,
        dedup_key=f"reminder:{kind}:{month:%Y-%m}:{account_id}:{user_id}",
    )
