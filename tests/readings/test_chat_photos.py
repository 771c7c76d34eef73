"""A photo of the display sent to the Telegram or the Viber bot: fetched through the portal's one HTTP client
(Telegram's getFile and file download, Viber's media URL, mocked at the HTTP boundary with the documented
JSON), read, and offered for confirmation; nothing is stored until the customer says yes, and what they type
instead wins."""

import datetime
import json

import pytest
import responses
import time_machine

from readings.models import ChannelChat, Reading, TelegramChat
from tests.readings.meter_photos import unreadable_photo
from tests.readings.test_telegram import CHAT_ID, Bot, message_of
from tests.readings.test_viber import SEND_URL, SENT_OK, USER_ID, Viber

BOT_TOKEN = "7302851931:AAH-test-token"
GET_FILE = f"https://api.telegram.org/bot{BOT_TOKEN}/getFile"
FILE_PATH = "photos/file_12.jpg"
FILE_URL = f"https://api.telegram.org/file/bot{BOT_TOKEN}/{FILE_PATH}"
PHOTO_SIZES = [
    {"file_id": "AgACAgIAAxkBAAIBY2-small", "file_unique_id": "AQADd7", "file_size": 1432, "width": 90, "height": 67},
    {
        "file_id": "AgACAgIAAxkBAAIBY3-large",
        "file_unique_id": "AQADd8",
        "file_size": 61025,
        "width": 1280,
        "height": 960,
    },
]
MEDIA_URL = "https://dl-media.viber.com/1/share/2/long/bots/generic-message/media/6F0FAB0D.jpg"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-12-02 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def telegram_files(settings):
    """Telegram's Bot API file endpoints, answering as documented (getFile returns a File object)."""
    settings.TELEGRAM_BOT_TOKEN = BOT_TOKEN
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def serve_telegram_photo(mock, image: bytes):
    mock.get(
        GET_FILE,
        match=[responses.matchers.query_param_matcher({"file_id": "AgACAgIAAxkBAAIBY3-large"})],
        json={
            "ok": True,
            "result": {
                "file_id": "AgACAgIAAxkBAAIBY3-large",
                "file_unique_id": "AQADd8",
                "file_size": len(image),
                "file_path": FILE_PATH,
            },
        },
    )
    mock.get(FILE_URL, body=image, content_type="image/jpeg")


@pytest.fixture
def one_zone_chat(client, kyiv):
    """A verified Telegram chat on a one-zone meter (last reading 14 000 on 30 October), waiting for the reading."""
    from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory

    link = AccountLinkFactory(account__district=kyiv, account__number="1000100003")
    meter = MeterFactory(
        account=link.account, serial_number="5500001", installed_on=datetime.date(2026, 1, 15), install_total=12000
    )
    ReadingFactory(meter=meter, total=14000, reading_date=datetime.date(2026, 10, 30))
    bot = Bot(client, language_code="uk")
    for text in ("/start", "1000100003", "5500001"):
        prompt = bot.say(text)
    assert "Надішліть показ" in prompt["text"]
    return bot, meter


def test_a_photo_it_cannot_read_asks_to_type_and_stores_nothing(one_zone_chat, telegram_files):
    bot, meter = one_zone_chat
    serve_telegram_photo(telegram_files, unreadable_photo())
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith(
        "Не вдалося надійно прочитати цифри на цьому фото. Введіть їх так, як показує табло. Лічильник 5500001."
    )
    assert TelegramChat.objects.get(chat_id=CHAT_ID).state == "zone"
    assert not Reading.objects.filter(meter=meter, channel="chatbot").exists()


@pytest.mark.parametrize(
    "get_file",
    [
        {"status": 500, "json": {"ok": False, "error_code": 500, "description": "Internal Server Error"}},
        {"status": 400, "json": {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}},
        {"status": 200, "json": {"ok": True, "result": {"file_id": "x", "file_unique_id": "y"}}},  # no file_path
    ],
)
def test_when_telegram_gives_no_file_the_customer_is_asked_to_type(one_zone_chat, telegram_files, get_file, settings):
    settings.OUTBOUND_HTTP_BACKOFF_SECONDS = 0
    bot, meter = one_zone_chat
    telegram_files.get(GET_FILE, **get_file)
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith("Не вдалося відкрити це фото. Введіть цифри, будь ласка.")
    assert not Reading.objects.filter(meter=meter, channel="chatbot").exists()


def test_a_photo_before_the_meter_is_chosen_is_not_fetched(client, two_zone_meter, telegram_files):
    bot = Bot(client)
    bot.say("/start")
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith("Send a photo of the display when I ask for the reading.")
    assert "personal account number" in answer["text"] and not telegram_files.calls


# --- Viber: the picture's media URL through the same client ---


@pytest.fixture
def viber_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(SEND_URL, json=SENT_OK)
        yield mock


def picture(viber, media=MEDIA_URL) -> dict:
    return viber.event(
        {"type": "picture", "text": "", "media": media, "thumbnail": media + "?thumb", "file_name": "a.jpg", "size": 1}
    )


def last_sent(api) -> dict:
    return json.loads(api.calls[-1].request.body)


@pytest.mark.django_db
def test_a_viber_picture_it_cannot_read_or_fetch_asks_to_type(client, two_zone_meter, viber_api, settings):
    settings.OUTBOUND_HTTP_BACKOFF_SECONDS = 0
    viber = Viber(client, viber_api, language="ru")
    for text in ("1000100001", "02000007"):
        viber.say(text)
    viber_api.get(MEDIA_URL, body=unreadable_photo(), content_type="image/jpeg")
    viber.post(picture(viber))
    assert last_sent(viber_api)["text"].startswith("Не удалось надёжно прочитать цифры на этом фото.")
    gone = MEDIA_URL.replace("6F0FAB0D", "expired")
    viber_api.get(gone, status=404)
    viber.post(picture(viber, gone))
    assert last_sent(viber_api)["text"].startswith("Не удалось открыть это фото. Введите цифры, пожалуйста.")
    assert (
        ChannelChat.objects.get(user_id=USER_ID).values == {} and not Reading.objects.filter(channel="viber").exists()
    )
