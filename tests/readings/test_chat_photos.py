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
from tests.readings.meter_photos import drum_photo, lcd_photo, unreadable_photo
from tests.readings.test_telegram import CHAT_ID, Bot, buttons, message_of
from tests.readings.test_viber import SEND_URL, SENT_OK, USER_ID, Viber
from tests.readings.test_viber import buttons as viber_buttons

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


def test_a_telegram_photo_is_read_and_sent_only_after_the_customer_says_yes(one_zone_chat, telegram_files):
    bot, meter = one_zone_chat
    serve_telegram_photo(telegram_files, drum_photo(14420))
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"] == (
        "Лічильник 5500001, прочитано з вашого фото:\nЗагальні (1.8.0): 14420\n"
        "Звірте з табло. Надіслати ці покази? Відповідайте «так» або введіть правильні цифри."
    )
    assert buttons(answer) == ["Так, надіслати", "Ні, ввести знову"]
    assert [call.request.url.split("?")[0] for call in telegram_files.calls] == [GET_FILE, FILE_URL]
    assert not Reading.objects.filter(meter=meter, channel="chatbot").exists()  # not without the customer's yes

    done = bot.say("так")
    assert done["text"].startswith("Покази прийнято: загальні 14420. Вони підуть у рахунок за листопад 2026.")
    reading = Reading.objects.get(meter=meter, channel="chatbot")
    assert (reading.total, reading.reading_date) == (14420, datetime.date(2026, 12, 2))
    assert reading.photo and reading.photo.read()[:3] == b"\xff\xd8\xff"  # the photo is kept with the reading


def test_typing_numbers_instead_of_yes_wins_over_the_photo(one_zone_chat, telegram_files):
    bot, meter = one_zone_chat
    serve_telegram_photo(telegram_files, drum_photo(14420))
    bot.post(message_of(bot, photo=PHOTO_SIZES))
    confirm = bot.say("14 421")
    assert "Загальні (1.8.0): 14421" in confirm["text"] and "прочитано з вашого фото" not in confirm["text"]
    bot.say("так")
    assert Reading.objects.get(meter=meter, channel="chatbot").total == 14421


def test_a_photo_it_cannot_read_asks_to_type_and_stores_nothing(one_zone_chat, telegram_files):
    bot, meter = one_zone_chat
    serve_telegram_photo(telegram_files, unreadable_photo())
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith(
        "Не вдалося надійно прочитати цифри на цьому фото. Введіть їх так, як показує табло. Лічильник 5500001."
    )
    assert TelegramChat.objects.get(chat_id=CHAT_ID).state == "zone"
    assert not Reading.objects.filter(meter=meter, channel="chatbot").exists()


def test_a_read_value_lower_than_the_last_reading_is_not_offered(one_zone_chat, telegram_files):
    bot, meter = one_zone_chat
    serve_telegram_photo(telegram_files, drum_photo(13500))
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith("Не вдалося надійно прочитати цифри на цьому фото.")
    assert "13500" not in answer["text"] and not buttons(answer)
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {}


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


def test_a_picture_sent_as_a_file_is_read_too_and_a_caption_is_still_read_as_typed(one_zone_chat, telegram_files):
    bot, meter = one_zone_chat
    image = drum_photo(14420)
    telegram_files.get(
        GET_FILE, json={"ok": True, "result": {"file_id": "BQAC-doc", "file_unique_id": "AgAD", "file_path": FILE_PATH}}
    )
    telegram_files.get(FILE_URL, body=image, content_type="image/jpeg")
    document = {"file_id": "BQAC-doc", "file_unique_id": "AgAD", "file_name": "IMG_0412.JPG", "mime_type": "image/jpeg"}
    assert "14420" in bot.post(message_of(bot, document=document)).json()["text"]
    bot.say("ні")  # "enter again"
    captioned = bot.post(message_of(bot, photo=PHOTO_SIZES, caption="14430")).json()
    assert "Загальні (1.8.0): 14430" in captioned["text"]
    assert len(telegram_files.calls) == 2  # the captioned photo was not fetched: what is typed wins


def test_a_photo_before_the_meter_is_chosen_is_not_fetched(client, two_zone_meter, telegram_files):
    bot = Bot(client)
    bot.say("/start")
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith("Send a photo of the display when I ask for the reading.")
    assert "personal account number" in answer["text"] and not telegram_files.calls


def test_a_photo_of_one_register_fills_its_zone_and_the_bot_asks_for_the_other(client, two_zone_meter, telegram_files):
    bot = Bot(client)
    for text in ("/start", "1000100001", "02000007"):
        bot.say(text)
    serve_telegram_photo(telegram_files, lcd_photo(14020, "T21", "day+night", "night"))
    first = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert first["text"].startswith(
        "From your photo: Night (1.8.1, 15.8.1 or T21): 14020. Check it against the display."
    )
    assert "Send the reading of Day (1.8.2, 15.8.2 or T22)" in first["text"]
    confirm = bot.say("28100")
    assert "Day (1.8.2, 15.8.2 or T22): 28100\nNight (1.8.1, 15.8.1 or T21): 14020" in confirm["text"]
    assert bot.say("yes")["text"].startswith("Reading accepted: day 28100, night 14020.")


def test_a_number_the_bot_cannot_place_in_a_zone_is_said_not_filled_in(client, two_zone_meter, telegram_files):
    bot = Bot(client, language_code="ru")
    for text in ("/start", "1000100001", "02000007"):
        bot.say(text)
    serve_telegram_photo(telegram_files, drum_photo(28100))
    answer = bot.post(message_of(bot, photo=PHOTO_SIZES)).json()
    assert answer["text"].startswith(
        "Я прочитал на фото 28100, но не могу определить, какая это зона. Введите цифры, пожалуйста."
    )
    assert TelegramChat.objects.get(chat_id=CHAT_ID).values == {}


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
def test_a_viber_picture_is_read_and_sent_after_yes(client, two_zone_meter, viber_api):
    viber = Viber(client, viber_api, language="en")
    for text in ("1000100001", "02000007"):
        viber.say(text)
    viber.say("28100")  # day typed; the night photographed
    viber_api.get(MEDIA_URL, body=lcd_photo(14020, "T21", "day+night", "night"), content_type="image/jpeg")
    assert viber.post(picture(viber)).status_code == 200
    confirm = last_sent(viber_api)
    assert confirm["text"].startswith("Meter 02000007, read from your photo:\nDay (1.8.2, 15.8.2 or T22): 28100")
    assert "Night (1.8.1, 15.8.1 or T21): 14020" in confirm["text"]
    assert viber_buttons(confirm) == ["Yes, send", "No, enter again"]
    assert not Reading.objects.filter(channel="viber").exists()
    assert viber.say("Yes, send")["text"].startswith("Reading accepted: day 28100, night 14020.")
    reading = Reading.objects.get(channel="viber")
    assert reading.night == 14020 and reading.photo  # the photo is kept with the reading
    assert ChannelChat.objects.get(user_id=USER_ID).held_photo == ""


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
