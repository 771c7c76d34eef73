"""Reminders to pass readings, by email: on the day a district's window opens and the day before it closes.

The daily job (`readings.tasks.reminders_daily`) asks `reminder_chunks` which districts send what today and
fans the accounts out in chunks of ids, like the billing run; `reminders_chunk_send` does one chunk in one
transaction with a few set-based statements: one INSERT ... SELECT of the `Reminder` rows of the meters
still without a reading (conflicts ignored, so a rerun finds nothing new and stops there), the new meters
and the links that want reminders, then the emails, written to the outbox in one go (COPY on PostgreSQL).
One email per user and account lists that account's meters still without a reading; `ReminderTexts`
renders the template once per language and shape of email and fills each one in (docs/decisions.md).
Sends are queued after the commit; a chunk that fails rolls back its reminders and emails together, and
emails committed but never queued (broker down) are queued again by `email_requeue_overdue`.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext

from accounts.languages import month_in_sentence
from accounts.models import AccountLink, District, PersonalAccount
from accounts.notices import Notice
from accounts.services import (
    EmailDraft,
    UnsubscribeTokens,
    absolute_url,
    emails_enqueue,
    notice_draft,
    profile_url,
    unsubscribe_headers,
    unsubscribe_url,
)
from readings.email_kinds import READING_REMINDER
from readings.models import ZONE_TITLES, Meter, Reading, ReadingStatus, Reminder
from readings.reminder_dates import OPENS, reminders_due
from readings.selectors import labels_text
from readings.zones import zones_of

EMAIL_KIND = READING_REMINDER.code


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
    # The chunk's accounts by their primary key: filtering the joined account on district and activity
    # instead made PostgreSQL scan every account of the table for each chunk (EXPLAIN ANALYZE at 100,000
    # accounts: a sequential scan, 48 of the query's 89 ms).
    accounts = PersonalAccount.objects.filter(
        pk__gte=first_account_id, pk__lte=last_account_id, district_id=district_id, is_active=True
    )
    return (
        Meter.objects.filter(
            account_id__gte=first_account_id,
            account_id__lte=last_account_id,
            account__in=accounts,
            removed_on__isnull=True,
            is_smart=False,
        )
        .filter(~Exists(counted), Exists(wanted))
        .order_by("account_id", "serial_number")
    )


def _insert_reminders(candidates, *, month: date, kind: str, now: datetime) -> set[int]:
    """Record the reminders of the `candidates` query's meters in one INSERT ... SELECT; return the meters
    recorded now (a meter reminded already is skipped by the unique constraint, so a rerun records none)."""
    table = connection.ops.quote_name(Reminder._meta.db_table)
    select, params = candidates.order_by().values_list("account_id", "pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # `WHERE true`: without a WHERE, SQLite would read ON CONFLICT as a join's ON.
        cursor.execute(
            f"INSERT INTO {table} (account_id, meter_id, month, kind, created_at) "
            f"SELECT candidates.*, %s, %s, %s FROM ({select}) AS candidates WHERE true "
            "ON CONFLICT (meter_id, month, kind) DO NOTHING RETURNING meter_id",
            [month, kind, now, *params],
        )
        return {row[0] for row in cursor.fetchall()}


# Placeholders a URL pattern's <str:> parts accept and that no quoting changes.
_NUMBER, _SERIAL, _TOKEN = "ACCOUNTNUMBERPLACEHOLDER", "METERSERIALPLACEHOLDER", "UNSUBSCRIBETOKENPLACEHOLDER"


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
        self._unsubscribe: dict[str, str] = {}
        self._tokens: UnsubscribeTokens | None = None

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

    def unsubscribe(self, *, user_id: int, language: str) -> str:
        """`unsubscribe_url` for the reminders notice: the signed token per user, the pattern per language."""
        if self._tokens is None:
            self._tokens = UnsubscribeTokens(Notice.REMINDERS)
        token = self._tokens(user_id)
        if not token or "/" in token:
            return unsubscribe_url(user_id=user_id, notice=Notice.REMINDERS, language=language)
        pattern = self._unsubscribe.get(language)
        if pattern is None:
            pattern = self._unsubscribe[language] = absolute_url("unsubscribe", _TOKEN, language=language)
        return pattern.replace(_TOKEN, quote(token, safe=RFC3986_SUBDELIMS + "~:@"))


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
    queue_sends: bool = True,
) -> ChunkResult:
    """Remind the users of a chunk's accounts. Safe to run twice: the second run records and sends nothing."""
    district = District.objects.get(pk=district_id)
    closes_on = district.window.closes_on(month)
    candidates = meters_without_reading(
        district_id=district_id, month=month, first_account_id=first_account_id, last_account_id=last_account_id
    )
    with transaction.atomic():
        new_meter_ids = _insert_reminders(candidates, month=month, kind=kind, now=now)
        if not new_meter_ids:  # a rerun of a chunk done already: one statement
            return ChunkResult(0, 0)
        by_account: dict[int, list[dict]] = {}
        for meter in candidates.values(
            "pk", "account_id", "serial_number", "zone_set", "register_labels", "account__number"
        ):
            if meter["pk"] in new_meter_ids:
                by_account.setdefault(meter["account_id"], []).append(meter)
        # The chunk's range rather than a list of its accounts (an IN list of 2,000 ids costs more to build).
        links = (
            AccountLink.objects.filter(
                account_id__gte=first_account_id,
                account_id__lte=last_account_id,
                account__district_id=district_id,
                notify_by_email=True,
                user__is_active=True,
                user__notify_reminders=True,
            )
            .order_by("account_id", "user_id")
            .values("account_id", "user_id", "user__email", "user__full_name", "user__preferred_language")
        )
        texts = ReminderTexts(kind=kind, month=month, closes_on=closes_on, district=district)
        drafts = [
            texts.draft(
                account_id=link["account_id"],
                meters=by_account[link["account_id"]],
                user_id=link["user_id"],
                email=link["user__email"],
                full_name=link["user__full_name"],
                language=link["user__preferred_language"] or settings.LANGUAGE_CODE,
            )
            for link in links
            if link["account_id"] in by_account
        ]
        emails = emails_enqueue(drafts, queue_sends=queue_sends)
    return ChunkResult(len(new_meter_ids), emails)


def meter_zone_names(zone_set: str, register_labels: dict) -> list[str]:
    """'Day (1.8.2, 15.8.2 or T22)' for each zone of a meter, in the active language."""
    names = []
    for zone in zones_of(zone_set):
        title, labels = str(ZONE_TITLES.get(zone, zone)), labels_text(list(register_labels.get(zone, [])))
        names.append(f"{title} ({labels})" if labels else title)
    return names


REMINDER_TEMPLATE = "emails/reading_reminder.txt"


def reminder_context(
    *,
    kind: str,
    month: date,
    closes_on: date,
    district: District,
    full_name: str,
    number: str,
    meters: list[dict],
    public_form_url: str,
) -> dict:
    """The reminder template's context (in the active language), but for the notice's links."""
    return {
        "opens": kind == OPENS,
        "full_name": full_name,
        "number": number,
        "month": month_in_sentence(month),
        "closes_on": date_format(closes_on, "j E Y"),
        "meters": meters,
        "public_form_url": public_form_url,
        "contact_phone": district.contact_phone,
    }


def reminder_subject(kind: str, month: date, closes_on: date) -> str:
    """The reminder's subject in the active language."""
    month_name = month_in_sentence(month)
    if kind == OPENS:
        return gettext("Pass your meter reading for %(month)s by %(date)s") % {
            "month": month_name,
            "date": date_format(closes_on, "j E Y"),
        }
    return gettext("Tomorrow is the last day to pass your reading for %(month)s") % {"month": month_name}


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
    """One reminder rendered on its own: the reference `ReminderTexts` is compared with (the chunks use that)."""
    number = meters[0]["account__number"]
    urls = urls or ReminderUrls()
    with translation.override(language):
        context = reminder_context(
            kind=kind,
            month=month,
            closes_on=closes_on,
            district=district,
            full_name=full_name,
            number=number,
            meters=[
                {
                    "serial": meter["serial_number"],
                    "zones": ", ".join(meter_zone_names(meter["zone_set"], meter["register_labels"])),
                    "url": urls.reading_new(number, meter["serial_number"], language=language),
                }
                for meter in meters
            ],
            public_form_url=urls.public_form(language=language),
        )
        subject = reminder_subject(kind, month, closes_on)
    return notice_draft(
        notice=Notice.REMINDERS,
        kind=EMAIL_KIND,
        user_id=user_id,
        email=email,
        language=language,
        subject=subject,
        template=REMINDER_TEMPLATE,
        context=context,
        dedup_key=f"reminder:{kind}:{month:%Y-%m}:{account_id}:{user_id}",
    )


# A field of a rendered skeleton: NUL never occurs in a template, a translation or a value we fill in.
_FIELD = re.compile("\x00([a-z_0-9]+)\x00")


def _field(name: str) -> str:
    return f"\x00{name}\x00"


class ReminderTexts:
    """A chunk's reminder emails, each exactly what `reminder_email` renders, without rendering each one.

    The profile of a 2,000-account chunk (bench/RESULTS.md) put Django's template rendering at about 40 %
    of a reminder's cost and `reminder_email` as a whole at 78-85 %: one full render per user. Within a
    chunk (one district, one kind, one month) an email differs only in its name, account number, meters
    and unsubscribe link. So the template is rendered once per language, named or not (the greeting
    differs) and number of meters, with NUL-delimited fields in place of those values, and each email is
    that skeleton with its values put in, in one pass (a value is never searched for fields again). The
    words, dates, month and phone come from the same template and catalogs as `reminder_email`, and
    tests/readings/test_reminder_texts.py compares the two for uk, ru and en (docs/decisions.md)."""

    def __init__(self, *, kind: str, month: date, closes_on: date, district: District):
        self.kind, self.month, self.closes_on, self.district = kind, month, closes_on, district
        self.urls = ReminderUrls()
        self._skeletons: dict[tuple[str, bool, int], list[str]] = {}
        self._subjects: dict[str, str] = {}
        self._zones: dict[tuple[str, str, str], str] = {}

    def draft(
        self, *, account_id: int, meters: list[dict], user_id: int, email: str, full_name: str, language: str
    ) -> EmailDraft:
        number = meters[0]["account__number"]
        values = {"full_name": full_name, "number": number}
        for index, meter in enumerate(meters):
            values[f"serial_{index}"] = meter["serial_number"]
            values[f"zones_{index}"] = self._zone_text(meter["zone_set"], meter["register_labels"], language)
            values[f"url_{index}"] = self.urls.reading_new(number, meter["serial_number"], language=language)
        stop = values["unsubscribe_url"] = self.urls.unsubscribe(user_id=user_id, language=language)
        parts = self._skeleton(language, bool(full_name), len(meters))
        body = "".join([part if index % 2 == 0 else values[part] for index, part in enumerate(parts)])
        return EmailDraft(
            to_email=email,
            subject=self._subject(language),
            body_text=body,
            language=language,
            kind=EMAIL_KIND,
            dedup_key=f"reminder:{self.kind}:{self.month:%Y-%m}:{account_id}:{user_id}",
            user_id=user_id,
            headers=unsubscribe_headers(stop),
        )

    def _zone_text(self, zone_set: str, register_labels: dict, language: str) -> str:
        key = (language, zone_set, repr(register_labels))  # the same labels in another order: one more entry
        if key not in self._zones:
            with translation.override(language):
                self._zones[key] = ", ".join(meter_zone_names(zone_set, register_labels))
        return self._zones[key]

    def _subject(self, language: str) -> str:
        if language not in self._subjects:
            with translation.override(language):
                self._subjects[language] = reminder_subject(self.kind, self.month, self.closes_on)
        return self._subjects[language]

    def _skeleton(self, language: str, named: bool, meters: int) -> list[str]:
        """The template rendered with fields, split into [text, field, text, field, ..., text]."""
        key = (language, named, meters)
        if key not in self._skeletons:
            with translation.override(language):
                context = reminder_context(
                    kind=self.kind,
                    month=self.month,
                    closes_on=self.closes_on,
                    district=self.district,
                    full_name=_field("full_name") if named else "",
                    number=_field("number"),
                    meters=[
                        {"serial": _field(f"serial_{i}"), "zones": _field(f"zones_{i}"), "url": _field(f"url_{i}")}
                        for i in range(meters)
                    ],
                    public_form_url=self.urls.public_form(language=language),
                )
                text = render_to_string(
                    REMINDER_TEMPLATE,
                    {**context, "unsubscribe_url": _field("unsubscribe_url"), "profile_url": profile_url(language)},
                )
            self._skeletons[key] = _FIELD.split(text)
        return self._skeletons[key]
