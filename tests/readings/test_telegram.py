"""The Telegram bot end to end with real Update JSON: verify once per chat, enter each zone by its display
labels, confirm; the reading reaches the customer's history with channel chatbot. Answers are Bot API
`sendMessage` calls returned as the webhook response."""

import json

import pytest
import time_machine

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


@pytest.mark.django_db
def test_updates_without_text_get_an_empty_answer(client):
    bot = Bot(client)
    update = bot.update("x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "CAACAgIAAxk", "width": 512, "height": 512}
    assert bot.post(update).json() == {}
