"""The Telegram bot end to end with real Update JSON: verify once per chat, enter each zone by its display
labels, confirm; the reading reaches the customer's history with channel chatbot. Answers are Bot API
`sendMessage` calls returned as the webhook response."""

import json

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readings.models import Reading, TelegramChat

SECRET = "local-telegram-secret"
CHAT_ID = 445566778


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


class Bot:
    """Sends text messages as Telegram would (Update objects, increasing update_id) and keeps the answers."""

    def __init__(self, client, language_code="en"):
        self.client, self.language_code, self.update_id = client, language_code, 700000000

    def update(self, text: str) -> dict:
        self.update_id += 1
        return {
            "update_id": self.update_id,
            "message": {
                "message_id": self.update_id - 699999000,
                "from": {
                    "id": CHAT_ID,
                    "is_bot": False,
                    "first_name": "Олена",
                    "username": "olena_k",
                    "language_code": self.language_code,
                },
                "chat": {"id": CHAT_ID, "first_name": "Олена", "username": "olena_k", "type": "private"},
                "date": 1795680000,
                "text": text,
            },
        }

    def post(self, update: dict, secret=SECRET):
        return self.client.post(
            "/channels/telegram/webhook/",
            json.dumps(update),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=secret,
        )

    def say(self, text: str) -> dict:
        response = self.post(self.update(text))
        assert response.status_code == 200
        answer = response.json()
        assert answer["method"] == "sendMessage" and answer["chat_id"] == CHAT_ID
        return answer


def buttons(answer: dict) -> list[str]:
    return [button["text"] for row in answer["reply_markup"].get("keyboard", []) for button in row]


@pytest.mark.django_db
def test_a_conversation_passes_a_two_zone_reading(client, two_zone_meter):
    bot = Bot(client)
    assert "personal account number" in bot.say("/start")["text"]
    assert "serial number" in bot.say("1000100001")["text"]
    answer = bot.say("02000007")
    assert answer["text"].startswith("Account found:") and "*" in answer["text"]
    assert "Day (1.8.2, 15.8.2 or T22)" in answer["text"]
    assert "Night (1.8.1, 15.8.1 or T21)" in bot.say("028100")["text"]
    confirm = bot.say("14010")
    assert "Day (1.8.2, 15.8.2 or T22): 28100" in confirm["text"]
    assert buttons(confirm) == ["Yes, send", "No, enter again"]
    done = bot.say("Yes, send")
    assert done["text"].startswith("Reading accepted: day 28100, night 14010.")
    assert buttons(done) == ["Pass another reading", "Another account"]
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "chatbot")

    client.force_login(two_zone_meter.account.links.get().user)
    history = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in history and "chatbot" in history


@pytest.mark.django_db
def test_the_chat_verifies_once_and_starts_at_the_meter_next_time(client, two_zone_meter):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007"):
        bot.say(text)
    bot.say("/cancel")
    assert "Meter 02000007" in bot.say("/start")["text"]  # no account number asked again
    assert TelegramChat.objects.get(chat_id=CHAT_ID).account == two_zone_meter.account


@pytest.mark.django_db
def test_a_wrong_pair_starts_again_without_saying_which_number_was_wrong(client, two_zone_meter):
    bot = Bot(client)
    bot.say("/start")
    bot.say("1000100001")
    answer = bot.say("99999999")
    assert answer["text"].startswith("We could not find this account number with this meter.")
    assert TelegramChat.objects.get(chat_id=CHAT_ID).account is None


@pytest.mark.django_db
def test_a_rejected_reading_says_why_and_asks_again(client, two_zone_meter):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007", "27000", "13000"):
        bot.say(text)
    answer = bot.say("Yes, send")
    assert "lower than your last reading" in answer["text"] and "Day (1.8.2" in answer["text"]
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()


@pytest.mark.django_db
def test_swapped_zones_are_asked_about_and_stored_swapped_when_confirmed(client, two_zone_meter):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007", "14010", "28100"):
        bot.say(text)
    question = bot.say("Yes, send")
    assert question["text"].startswith("Did you swap") and buttons(question) == [
        "Yes, swap them",
        "No, keep as entered",
    ]
    bot.say("Yes, swap them")
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.swap_corrected) == (28100, 14010, True)


@pytest.mark.django_db
def test_the_language_follows_telegram_and_a_redelivered_update_is_ignored(client, two_zone_meter):
    bot = Bot(client, language_code="ru")
    update = bot.update("/start")
    first = bot.post(update).json()
    assert bot.post(update).json() == {}  # Telegram retried the same update: answered once already
    bot.language_code = "en"
    assert first["text"] != bot.say("/start")["text"]
    assert TelegramChat.objects.get(chat_id=CHAT_ID).language == "en"


@pytest.mark.django_db
def test_a_wrong_secret_token_is_refused(client, two_zone_meter):
    bot = Bot(client)
    assert bot.post(bot.update("/start"), secret="guess").status_code == 403
    assert not TelegramChat.objects.exists()


def message_of(bot: Bot, **content) -> dict:
    update = bot.update("x")
    del update["message"]["text"]
    update["message"].update(content)
    return update


PHOTO = [
    {"file_id": "AgACAgIAAxkBAAIBY2", "file_unique_id": "AQADd7", "file_size": 1432, "width": 90, "height": 67},
    {"file_id": "AgACAgIAAxkBAAIBY3", "file_unique_id": "AQADd8", "file_size": 61025, "width": 1280, "height": 960},
]
# One of each kind of Message a private chat can carry (Bot API "Message"), none with text or caption.
MESSAGE_KINDS = {
    "sticker": {
        "sticker": {
            "file_id": "CAACAgIAAxkBAAIBZ",
            "file_unique_id": "AgADJQ",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
    },
    "photo": {"photo": PHOTO},
    "contact": {"contact": {"phone_number": "+380501234567", "first_name": "Олена", "user_id": CHAT_ID}},
    "location": {"location": {"latitude": 50.4501, "longitude": 30.5234}},
    "venue": {
        "venue": {"location": {"latitude": 50.45, "longitude": 30.52}, "title": "ЦОС", "address": "вул. Х, 1"},
        "location": {"latitude": 50.45, "longitude": 30.52},
    },
    "voice": {"voice": {"file_id": "AwACAgIAAxk", "file_unique_id": "AgADv", "duration": 3, "mime_type": "audio/ogg"}},
    "audio": {"audio": {"file_id": "CQACAgIAAxk", "file_unique_id": "AgADa", "duration": 120}},
    "video": {
        "video": {"file_id": "BAACAgIAAxk", "file_unique_id": "AgADw", "width": 640, "height": 480, "duration": 5}
    },
    "video_note": {"video_note": {"file_id": "DQACAgIAAxk", "file_unique_id": "AgADn", "length": 240, "duration": 4}},
    "animation": {
        "animation": {"file_id": "CgACAgIAAxk", "file_unique_id": "AgADg", "width": 320, "height": 240, "duration": 2},
        "document": {"file_id": "CgACAgIAAxk", "file_unique_id": "AgADg"},
    },
    "document": {"document": {"file_id": "BQACAgIAAxk", "file_unique_id": "AgADd", "file_name": "meter.pdf"}},
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
    "poll": {
        "poll": {
            "id": "5",
            "question": "?",
            "options": [{"text": "a", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
    },
    "story": {"story": {"chat": {"id": CHAT_ID, "type": "private"}, "id": 7}},
    "empty": {},
}


@pytest.mark.django_db
# A photo without a caption is fetched and read (tests/readings/test_chat_photos.py).
@pytest.mark.parametrize("kind", [kind for kind in MESSAGE_KINDS if kind != "photo"])
def test_every_kind_of_message_gets_the_current_prompt_again(client, two_zone_meter, kind):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007"):
        prompt = bot.say(text)
    response = bot.post(message_of(bot, **MESSAGE_KINDS[kind]))
    assert response.status_code == 200
    answer = response.json()
    assert answer["method"] == "sendMessage" and answer["chat_id"] == CHAT_ID
    assert answer["text"].endswith(
        "Send the reading of Day (1.8.2, 15.8.2 or T22) as the display shows it, digits before the decimal point."
    )
    if kind == "sticker":
        assert answer["text"] == "Meter 02000007. " + prompt["text"].split("Meter 02000007. ", 1)[1]
    else:
        assert answer["text"].startswith("I can read only text: type the numbers, please.")
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {}


@pytest.mark.django_db
def test_a_photo_of_the_display_with_the_reading_as_caption_is_read(client, two_zone_meter):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007"):
        bot.say(text)
    night = bot.post(message_of(bot, photo=PHOTO, caption="28100")).json()
    assert "Night (1.8.1, 15.8.1 or T21)" in night["text"]
    confirm = bot.post(message_of(bot, document={"file_id": "BQAC", "file_unique_id": "AgA"}, caption="14010")).json()
    assert "Day (1.8.2, 15.8.2 or T22): 28100" in confirm["text"] and "14010" in confirm["text"]


@pytest.mark.django_db
def test_an_edited_message_is_answered_and_changes_nothing(client, two_zone_meter):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007", "28100"):
        bot.say(text)
    update = bot.update("28200")
    update["edited_message"] = {**update.pop("message"), "edit_date": 1795680100}
    answer = bot.post(update).json()
    assert answer["text"].startswith("An edited message is not read again: send the new text as a message.")
    assert "Night (1.8.1, 15.8.1 or T21)" in answer["text"]
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {"day": 28100}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language_code", "word"), [("uk", "так"), ("uk", "Так!"), ("ru", "да"), ("ru", "Да"), ("en", "yes")]
)
def test_a_typed_yes_sends_the_reading(client, two_zone_meter, language_code, word):
    bot = Bot(client, language_code=language_code)
    for text in ("/start", "1000100001", "02000007", "28 100", "14 010"):
        bot.say(text)
    bot.say(word)
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "chatbot")


@pytest.mark.django_db
def test_anything_but_yes_or_no_keeps_the_entered_reading_and_asks_again(client, two_zone_meter):
    bot = Bot(client, language_code="uk")
    for text in ("/start", "1000100001", "02000007", "28100", "14010"):
        bot.say(text)
    again = bot.say("хм, а що далі?")
    assert again["text"].startswith("Будь ласка, дайте відповідь: так чи ні.")
    assert buttons(again) == ["Так, надіслати", "Ні, ввести знову"]
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {"day": 28100, "night": 14010}
    assert "Лічильник 02000007" in bot.say("ні")["text"]  # a typed no: enter again
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {}


@pytest.mark.django_db
def test_a_typed_answer_settles_the_swap_question(client, two_zone_meter):
    bot = Bot(client, language_code="ru")
    for text in ("/start", "1000100001", "02000007", "14010", "28100", "да"):
        bot.say(text)
    bot.say("да")
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.swap_corrected) == (28100, 14010, True)


@pytest.mark.django_db
def test_a_decimal_part_is_dropped_and_said(client, two_zone_meter):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007"):
        bot.say(text)
    assert bot.say("28 100,7")["text"].startswith("We took 28100, without the decimals.")
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {"day": 28100}


@pytest.mark.django_db
def test_an_older_update_id_is_still_answered_but_a_repeated_one_is_not(client, two_zone_meter):
    bot = Bot(client)
    later, earlier = bot.update("/start"), bot.update("1000100001")
    later["update_id"], earlier["update_id"] = earlier["update_id"], later["update_id"]
    assert "personal account number" in bot.post(later).json()["text"]
    assert "serial number" in bot.post(earlier).json()["text"]  # lower id, arrived second: still new
    assert bot.post(later).json() == {} and bot.post(earlier).json() == {}  # redeliveries: answered once
    assert "Account found" in bot.say("02000007")["text"]


MALFORMED_BODIES = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[" * 100_000,
    b"null",
    b"[]",
    b'"update"',
    b"{}",
    b'{"update_id": "1", "message": "hi"}',
    b'{"update_id": 1, "message": {"chat": "x", "text": "hi"}}',
    b'{"update_id": 2, "message": {"chat": {"id": "445566778"}, "text": "hi"}}',
    b'{"update_id": 3, "message": {"chat": {"id": true}, "text": "hi"}}',
    b'{"update_id": 4, "message": {"chat": {"id": 1e300}, "text": "hi"}}',
    b'{"update_id": 5, "message": {"chat": {"id": 99999999999999999999999}, "text": "hi"}}',
    b'{"update_id": 6, "message": {"chat": {"id": 445566778, "type": "private"}, "text": 5}}',
    b'{"update_id": 7, "message": {"chat": {"id": 445566778}, "from": "x", "text": "/start"}}',
    b'{"update_id": 8, "message": {"chat": {"id": 445566778}, "from": {"language_code": 5}, "text": "/start"}}',
    b'{"update_id": 9, "message": {"chat": {"id": 445566778}, "text": "1000\\u0000100001"}}',
    b'{"update_id": 10, "message": {"chat": {"id": 445566778}, "text": "\\ud800"}}',
    b'{"update_id": -1, "message": {"chat": {"id": 445566778}, "caption": ["x"]}}',
    b'{"update_id": 11, "message": {"chat": {"id": -100123, "type": "supergroup"}, "text": "/start"}}',
    b'{"update_id": 12, "channel_post": {"chat": {"id": -100123, "type": "channel"}, "text": "/start"}}',
    b'{"update_id": 13, "callback_query": {"id": "1", "from": {"id": 1}, "data": "x"}}',
    b'{"update_id": 14, "my_chat_member": {"chat": {"id": 445566778, "type": "private"}}}',
    b'{"update_id": 15, "edited_message": {"chat": {"id": 445566778, "type": "private"}, "text": "x"}}',
    b'{"update_id": 16, "message": {"chat": {"id": 445566778}, "text": "' + b"9" * 5000 + b'"}}',
    b'{"update_id": 17, "message": {"chat": {"id": 445566778}, "text": "/start", "seen": '
    + b"[" * 900
    + b"]" * 900
    + b"}}",
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=range(len(MALFORMED_BODIES)))
def test_no_malformed_update_answers_500(client, body):
    response = client.post(
        "/channels/telegram/webhook/",
        body,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )
    assert response.status_code in (200, 400), response.content[:300]
    assert response.json() == {} or response.json().get("method") == "sendMessage" or response.status_code == 400


@pytest.mark.django_db
def test_a_secret_token_with_other_characters_is_refused_not_crashed(client):
    response = client.post(
        "/channels/telegram/webhook/",
        b"{}",
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="ключ",
    )
    assert response.status_code == 403


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    message=st.fixed_dictionaries(
        {
            "chat": st.fixed_dictionaries(
                {"id": st.just(CHAT_ID) | JSON_VALUES, "type": st.just("private") | JSON_VALUES}
            )
        },
        optional={
            "text": st.text(max_size=30) | JSON_VALUES,
            "caption": JSON_VALUES,
            "from": JSON_VALUES,
            "sticker": JSON_VALUES,
        },
    ),
    update_id=st.integers(min_value=-5, max_value=2**70) | JSON_VALUES,
    key=st.sampled_from(["message", "edited_message", "channel_post"]),
)
def test_no_update_shape_answers_500(client, message, update_id, key):
    body = json.dumps({"update_id": update_id, key: message})
    response = client.post(
        "/channels/telegram/webhook/",
        body,
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET,
    )
    assert response.status_code == 200
