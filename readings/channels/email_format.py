"""Readings sent by email in free text, in Ukrainian or Russian (seeds 002, 003: "address, readings, the
date they were taken, a phone"), read without Django into facts the email channel matches.

What is recognised, each only after its keyword so that an account number is never taken for a reading:
- the personal account: `особовий рахунок`, `о/р`, `лицевой счёт`, `л/с`, `рахунок`, `счёт`, `account`;
- the meter serial: `лічильник`, `счётчик`, `meter` (with `№`, `номер`, `:`), a word with a digit;
- zone values: `день`/`day`, `ніч`/`ночь`/`night`, `пік`/`пик`/`peak`, `напівпік`/`полупик`/`half-peak`;
  a value without a zone after `показ`, `показання`, `показания`, `reading`; a decimal part is dropped
  ("all digits before the comma", seed 002);
- the date the reading was taken (`20.11.2026`, `20.11.26`, `2026-11-20`) and a phone, kept for staff.
Whatever cannot be read goes to the staff queue with the email, so nothing is guessed.
"""

import re
from dataclasses import dataclass, field
from datetime import date

MAX_TEXT = 5000
NUMBER = r"(?P<value>\d{1,9}(?:[ \u00a0]\d{3})*)(?P<fraction>[.,]\d{1,3})?(?!\d|[.,]\d)"
KEY_SEP = r"[\s:№#.\-–—=]*"
ACCOUNT = re.compile(
    r"(?:особов\w*\s+рахун\w*|лицев\w*\s+сч[её]т\w*|о/р|л/с|рахун\w*|сч[её]т(?!чик)\w*|account(?:\s+number)?)"
    + KEY_SEP
    + r"(?:номер\s*)?(\d{4,20})\b",
    re.IGNORECASE,
)
SERIAL = re.compile(
    r"(?:лічильник\w*|сч[её]тчик\w*|meter)"
    + KEY_SEP
    + r"(?:номер|serial|№)?"
    + KEY_SEP
    + r"([A-Za-z0-9][A-Za-z0-9-]{2,31})\b",
    re.IGNORECASE,
)
ZONE_WORDS = (
    ("half_peak", r"напівпік\w*|полупик\w*|half[- ]?peak"),
    ("peak", r"пік\w*|пик\w*|peak"),
    ("night", r"ніч\w*|ноч\w*|night"),
    ("day", r"день|денн\w*|дня|day"),
    ("total", r"показ\w*|reading\w*"),
)
ZONE_VALUE = re.compile(
    r"(?<![\w-])(" + "|".join(f"(?P<{zone}>{words})" for zone, words in ZONE_WORDS) + r")" + KEY_SEP + NUMBER,
    re.IGNORECASE,
)
DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})\b|\b(\d{4})-(\d{2})-(\d{2})\b")
PHONE = re.compile(r"(?<![\d+])(\+?\d[\d\s()\-]{8,18}\d)(?!\d)")
PHONE_WORD = re.compile(r"(?:тел\w*|phone|моб\w*)[\s.:]*" + PHONE.pattern, re.IGNORECASE)


@dataclass(frozen=True)
class EmailFacts:
    account_number: str | None = None
    meter_serial: str | None = None
    values: dict[str, int] = field(default_factory=dict)  # zone -> value; "total" for a value without a zone
    decimals: bool = False  # a decimal part was dropped
    reading_date: date | None = None
    phone: str | None = None


def _date(match) -> date | None:
    try:
        if match.group(4):
            return date(int(match.group(4)), int(match.group(5)), int(match.group(6)))
        year = int(match.group(3))
        return date(year + 2000 if year < 100 else year, int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def parse_email_reading(text: str) -> EmailFacts:
    text = (text or "")[:MAX_TEXT]
    account = ACCOUNT.search(text)
    serial = next((m for m in SERIAL.finditer(text) if any(char.isdigit() for char in m.group(1))), None)
    values: dict[str, int] = {}
    decimals = False
    for match in ZONE_VALUE.finditer(text):
        zone = next(zone for zone, _words in ZONE_WORDS if match.group(zone))
        if zone not in values:
            values[zone] = int(re.sub(r"[ \u00a0]", "", match.group("value")))
            decimals = decimals or bool(match.group("fraction"))
    found_date = next((day for day in (_date(m) for m in DATE.finditer(text)) if day), None)
    phone = PHONE_WORD.search(text)
    return EmailFacts(
        account_number=account.group(1) if account else None,
        meter_serial=serial.group(1) if serial else None,
        values=values,
        decimals=decimals,
        reading_date=found_date,
        phone=re.sub(r"[^\d+]", "", phone.group(1)) if phone else None,
    )


UKRAINIAN = re.compile(r"[іїєґ]|показання|рахун|лічильн")
RUSSIAN = re.compile(r"[ыэъё]|показани[яй]|сч[её]т|ночь")


def text_language(text: str) -> str:
    """uk, ru or en, from letters and words only one of the languages uses; Ukrainian when unsure."""
    lower = (text or "").lower()
    if UKRAINIAN.search(lower):
        return "uk"
    if RUSSIAN.search(lower):
        return "ru"
    return "uk" if re.search(r"[а-я]", lower) else "en"
