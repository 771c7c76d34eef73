"""Every notice in uk, ru and en: the same structure in each language, links in the reader's language.

The catalogs are filled by the lead after extraction: `test_no_english_left_*` is expected to fail until
and guards every later change.
"""

import datetime
import re

import pytest

from billing.delivery.rules import MeterEstimate
from billing.delivery.services import estimate_email
from readings.reminders import reminder_email
from tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ("uk", "ru", "en")
PREFIX = {"uk": "", "ru": "/ru", "en": "/en"}


def reminder(language, kind="opens"):
    district = DistrictFactory(code="KYIV", contact_phone="0 800 300 150")
    meters = [
        {
            "serial_number": "02000007",
            "zone_set": "day+night",
            "register_labels": {"day": ["1.8.2", "T22"], "night": ["1.8.1", "T21"]},
            "account__number": "1000100001",
        }
    ]
    return reminder_email(
        kind=kind,
        month=datetime.date(2026, 11, 1),
        closes_on=datetime.date(2026, 12, 3),
        district=district,
        account_id=1,
        meters=meters,
        user_id=7,
        email="olena@example.com",
        full_name="Олена",
        language=language,
    )


def estimate(language):
    return estimate_email(
        month=datetime.date(2026, 11, 1),
        reading_by=datetime.date(2027, 1, 3),
        number="1000100001",
        account_id=1,
        estimates=[MeterEstimate("02000007", "average", 212, 3, True)],
        user_id=7,
        email="olena@example.com",
        full_name="Олена",
        language=language,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reminder_has_the_same_structure_in_every_language(language):
    draft = reminder(language)
    assert draft.language == language and draft.subject
    body = draft.body_text
    assert f"http://127.0.0.1:8000{PREFIX[language]}/cabinet/accounts/1000100001/meters/02000007/reading/" in body
    assert f"http://127.0.0.1:8000{PREFIX[language]}/readings/" in body
    assert f"http://127.0.0.1:8000{PREFIX[language]}/unsubscribe/" in body
    assert "1 # 001952" in body and "0 800 300 150" in body and "1.8.2" in body
    assert "{{" not in body and "%(" not in body and "%(" not in draft.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_estimate_notice_has_the_same_structure_in_every_language(language):
    draft = estimate(language)
    assert "212" in draft.body_text and "02000007" in draft.body_text and "2027" in draft.body_text
    assert f"{PREFIX[language]}/cabinet/accounts/1000100001/charges/" in draft.body_text
    assert "%(" not in draft.body_text and "%(" not in draft.subject


def test_dates_follow_the_language():
    assert "3 грудня 2026" in reminder("uk").body_text
    assert "3 декабря 2026" in reminder("ru").body_text
    assert "3 December 2026" in reminder("en").body_text


def english_sentences(text: str) -> set[str]:
    """Lines of the English text that are words (not only links, numbers and labels)."""
    return {
        line.strip()
        for line in text.splitlines()
        if re.search(r"[A-Za-z]{4,} [A-Za-z]{3,}", re.sub(r"https?://\S+", "", line))
    }


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_no_english_left_in_the_notices(language):
    for render in (reminder, lambda lang: reminder(lang, "closes"), estimate):
        english, translated = render("en"), render(language)
        assert translated.subject != english.subject
        lines = {line.strip() for line in translated.body_text.splitlines()}
        untranslated = english_sentences(english.body_text) & lines
        assert not untranslated, untranslated
