# ruff: noqa: E501 (the emails are pinned as customers read them, lines and all)
"""The reminder emails of a chunk (`ReminderTexts`: the template rendered once per language and shape, values
filled in) are exactly the emails rendered one by one: the text customers got before, in uk, ru and en.

Pure: no database, no Redis (the district is only its phone number)."""

import datetime
import re
import types

import pytest
import time_machine

from readings.reminders import ReminderTexts, reminder_email

MONTH, CLOSES = datetime.date(2026, 11, 1), datetime.date(2026, 12, 3)
KYIV = types.SimpleNamespace(contact_phone="0 800 300 150")
TWO_METERS = [
    {
        "serial_number": "02000007",
        "zone_set": "day+night",
        "register_labels": {"day": ["1.8.2", "15.8.2", "T22"], "night": ["1.8.1", "T21"]},
        "account__number": "1000100001",
    },
    {
        "serial_number": "03000009",
        "zone_set": "total",
        "register_labels": {"total": ["1.8.0"]},
        "account__number": "1000100001",
    },
]

# The emails as `reminder_email` rendered them before `ReminderTexts` existed (main at 5f0e629), the
# unsubscribe token (signed, with a timestamp) left out.
BEFORE = {
    "uk": (
        "Передайте покази лічильника за листопад 2026 до 3 грудня 2026",
        """\
Вітаємо, Олена Коваленко!

Покази за листопад 2026 приймаємо до 3 грудня 2026. Для особового рахунку 1000100001 ми ще не маємо показів:

- лічильник 02000007: День (1.8.2, 15.8.2 або T22), Ніч (1.8.1 або T21)
  Передати покази в один клік: http://127.0.0.1:8000/cabinet/accounts/1000100001/meters/02000007/reading/

- лічильник 03000009: Загальні (1.8.0)
  Передати покази в один клік: http://127.0.0.1:8000/cabinet/accounts/1000100001/meters/03000009/reading/

Інші способи передати покази:
- форма без реєстрації: http://127.0.0.1:8000/readings/
- SMS з телефону, зареєстрованого для вашого особового рахунку: 1 # і покази, наприклад 1 # 001952
- наш Telegram-бот
- за телефоном: 0 800 300 150

Без показів до 3 грудня 2026 місяць буде нараховано за вашим середнім споживанням, а через кілька місяців — за нормативом.

--
Ви отримали цей лист, бо для цього особового рахунку ввімкнено нагадування.
Припинити нагадування передати покази: http://127.0.0.1:8000/unsubscribe/<token>/
Обрати, які листи отримувати: http://127.0.0.1:8000/cabinet/profile/

""",
    ),
    "ru": (
        "Передайте показания счётчика за ноябрь 2026 до 3 декабря 2026",
        """\
Здравствуйте, Олена Коваленко!

Показания за ноябрь 2026 принимаем до 3 декабря 2026. Для лицевого счёта 1000100001 у нас ещё нет показаний:

- счётчик 02000007: День (1.8.2, 15.8.2 или T22), Ночь (1.8.1 или T21)
  Передать показания в один клик: http://127.0.0.1:8000/ru/cabinet/accounts/1000100001/meters/02000007/reading/

- счётчик 03000009: Общие (1.8.0)
  Передать показания в один клик: http://127.0.0.1:8000/ru/cabinet/accounts/1000100001/meters/03000009/reading/

Другие способы передать показания:
- форма без регистрации: http://127.0.0.1:8000/ru/readings/
- SMS с телефона, зарегистрированного для вашего лицевого счёта: 1 # и показания, например 1 # 001952
- наш Telegram-бот
- по телефону: 0 800 300 150

Без показаний до 3 декабря 2026 месяц будет начислен по вашему среднему потреблению, а через несколько месяцев — по нормативу.

--
Вы получили это письмо, потому что для этого лицевого счёта включены напоминания.
Прекратить напоминания передать показания: http://127.0.0.1:8000/ru/unsubscribe/<token>/
Выбрать, какие письма получать: http://127.0.0.1:8000/ru/cabinet/profile/

""",
    ),
    "en": (
        "Pass your meter reading for November 2026 by 3 December 2026",
        """\
Hello, Олена Коваленко!

Readings for November 2026 are accepted until 3 December 2026. For personal account 1000100001 we have no reading yet from:

- meter 02000007: Day (1.8.2, 15.8.2 or T22), Night (1.8.1 or T21)
  Pass the reading in one click: http://127.0.0.1:8000/en/cabinet/accounts/1000100001/meters/02000007/reading/

- meter 03000009: Total (1.8.0)
  Pass the reading in one click: http://127.0.0.1:8000/en/cabinet/accounts/1000100001/meters/03000009/reading/

Other ways to pass a reading:
- the form without registration: http://127.0.0.1:8000/en/readings/
- an SMS from the phone registered to your account: 1 # and your reading, for example 1 # 001952
- our Telegram bot
- by phone: 0 800 300 150

Without a reading by 3 December 2026, the month is estimated by your average use, and after a few months by the norm.

--
You receive this email because reminders are on for this account.
Stop reminders to pass readings: http://127.0.0.1:8000/en/unsubscribe/<token>/
Choose which emails you get: http://127.0.0.1:8000/en/cabinet/profile/

""",
    ),
}


def drafts(language, *, kind="opens", meters=TWO_METERS, full_name="Олена Коваленко", district=KYIV):
    """(one by one, from the chunk's texts), at one pinned moment: the unsubscribe token carries the time."""
    arguments = {"account_id": 1, "meters": meters, "user_id": 7, "email": "o@example.com"}
    with time_machine.travel(datetime.datetime(2026, 11, 29, 7, 0, tzinfo=datetime.UTC), tick=False):
        alone = reminder_email(
            kind=kind, month=MONTH, closes_on=CLOSES, district=district, full_name=full_name, language=language,
            **arguments,
        )  # fmt: skip
        texts = ReminderTexts(kind=kind, month=MONTH, closes_on=CLOSES, district=district)
        texts.draft(**arguments, full_name="someone else", language="uk")  # the cache holds other emails too
        batched = texts.draft(**arguments, full_name=full_name, language=language)
    return alone, batched


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
def test_the_chunk_renders_the_email_customers_got_before(language):
    alone, batched = drafts(language)
    subject, body = BEFORE[language]
    for draft in (alone, batched):
        assert draft.subject == subject
        assert re.sub(r"/unsubscribe/[^/]+/", "/unsubscribe/<token>/", draft.body_text) == body
    assert batched == alone  # and the headers, dedup key, recipient


def meter(serial, zone_set="total", labels=None, number="1000100001"):
    labels = labels if labels is not None else {"total": ["1.8.0"]}
    return {"serial_number": serial, "zone_set": zone_set, "register_labels": labels, "account__number": number}


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
@pytest.mark.parametrize("kind", ["opens", "closes"])
@pytest.mark.parametrize(
    "full_name, meters, phone",
    [
        ("", [meter("1")], "0 800 300 150"),
        ("O'Brien %(month)s {{ number }} \\1 & <b>", [meter("AB 12-ж%?#&+"), meter("Ü:@~!$'()*,;=")], ""),
        (
            "Тарас",
            [
                meter("A1", "peak+half_peak+night", {"peak": [], "night": ["T21"], "half_peak": ["1.8.3", "T23"]}),
                meter("0"),
            ]
            + [meter(f"S{i}", "day+night", {"day": ["1.8.2"], "night": ["1.8.1"]}) for i in range(3)],
            "044 123 45 67",
        ),
    ],
    ids=["no-name-one-meter", "odd-characters", "five-meters"],
)
def test_every_shape_of_email_is_the_one_rendered_alone(language, kind, full_name, meters, phone):
    alone, batched = drafts(
        language, kind=kind, meters=meters, full_name=full_name, district=types.SimpleNamespace(contact_phone=phone)
    )
    assert batched == alone


def test_the_chunk_signs_the_same_unsubscribe_tokens_that_read_back():
    from django.core import signing

    from accounts.services import UNSUBSCRIBE_SALT, UnsubscribeTokens, unsubscribe_token

    tokens = UnsubscribeTokens("reminders")
    with time_machine.travel(datetime.datetime(2026, 11, 29, 7, 0, tzinfo=datetime.UTC), tick=False):
        for user_id in (1, 7, 123456789):
            assert tokens(user_id) == unsubscribe_token(user_id=user_id, notice="reminders")
            assert signing.loads(tokens(user_id), salt=UNSUBSCRIBE_SALT) == [user_id, "reminders"]
