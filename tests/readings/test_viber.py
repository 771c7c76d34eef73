"""The Viber bot end to end with Viber's documented callback JSON, signed with X-Viber-Content-Signature;
its answers are `send_message` calls caught at the HTTP boundary (the `responses` library) and answered
with Viber's documented JSON. The reading reaches the cabinet history as "Viber"."""

import hashlib
import hmac
import json

import pytest
import responses
import time_machine

from readings.models import ChannelChat, Reading

TOKEN = "local-viber-token"
SEND_URL = "https://chatapi.viber.com/pa/send_message"
USER_ID = "01234567890A="
SENT_OK = {"status": 0, "status_message": "ok", "message_token": 5741311803571721087, "chat_hostname": "SN-CHAT-05_"}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def viber_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(SEND_URL, json=SENT_OK)
        yield mock


class Viber:
    def __init__(self, client, api, language="uk"):
        self.client, self.api, self.language, self.token = client, api, language, 4912661846655238145

    def event(self, message: dict) -> dict:
        self.token += 1
        return {
            "event": "message",
            "timestamp": 1795680000000,
            "chat_hostname": "SN-CHAT-01_",
            "message_token": self.token,
            "sender": {
                "id": USER_ID,
                "name": "Олена",
                "avatar": "https://media-direct.cdn.viber.com/download_photo?dlid=x",
                "language": self.language,
                "country": "UA",
                "api_version": 10,
            },
            "message": message,
            "silent": False,
        }

    def post(self, body: dict, token=TOKEN):
        raw = json.dumps(body).encode()
        signature = hmac.new(token.encode(), raw, hashlib.sha256).hexdigest()
        return self.client.post(
            "/channels/viber/webhook/", raw, content_type="application/json", HTTP_X_VIBER_CONTENT_SIGNATURE=signature
        )

    def say(self, text: str) -> dict:
        calls = len(self.api.calls)
        response = self.post(self.event({"type": "text", "text": text}))
        assert response.status_code == 200 and response.json() == {"status": 0}
        assert len(self.api.calls) == calls + 1
        sent = json.loads(self.api.calls[-1].request.body)
        assert self.api.calls[-1].request.headers["X-Viber-Auth-Token"] == TOKEN
        assert sent["receiver"] == USER_ID and sent["type"] == "text"
        return sent


def buttons(sent: dict) -> list[str]:
    return [button["ActionBody"] for button in sent.get("keyboard", {}).get("Buttons", [])]


@pytest.mark.django_db
def test_a_viber_conversation_passes_a_two_zone_reading_into_the_cabinet_history(client, two_zone_meter, viber_api):
    viber = Viber(client, viber_api, language="en")
    welcome = viber.post(
        {"event": "conversation_started", "timestamp": 1, "type": "open", "user": {"id": USER_ID, "language": "en"}}
    )
    assert "personal account number" in welcome.json()["text"]
    assert "serial number" in viber.say("1000100001")["text"]
    found = viber.say("02000007")
    assert found["text"].startswith("Account found:") and "Day (1.8.2, 15.8.2 or T22)" in found["text"]
    assert "Night (1.8.1, 15.8.1 or T21)" in viber.say("28 100")["text"]
    confirm = viber.say("14010")
    assert buttons(confirm) == ["Yes, send", "No, enter again"]
    assert [button["Columns"] for button in confirm["keyboard"]["Buttons"]] == [3, 3]
    done = viber.say("Yes, send")
    assert done["text"].startswith("Reading accepted: day 28100, night 14010.")
    assert "207 kWh day, 96 kWh night" in done["text"]
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "viber")

    client.force_login(two_zone_meter.account.links.get().user)
    history = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in history and "Viber" in history


@pytest.mark.django_db
def test_viber_speaks_the_users_language_and_reads_a_picture_caption(client, two_zone_meter, viber_api):
    viber = Viber(client, viber_api, language="ru")
    viber.say("1000100001")
    assert "Счётчик 02000007" in viber.say("02000007")["text"]
    picture = viber.event({"type": "picture", "text": "28100", "media": "https://dl-media.viber.com/1.jpg", "size": 1})
    viber.post(picture)
    assert ChannelChat.objects.get(user_id=USER_ID).values == {"day": 28100}
    sticker = viber.post(viber.event({"type": "sticker", "sticker_id": 46105}))
    assert sticker.status_code == 200
    assert json.loads(viber_api.calls[-1].request.body)["text"].startswith("Счётчик 02000007")


@pytest.mark.django_db
def test_a_redelivered_callback_is_answered_once(client, two_zone_meter, viber_api):
    viber = Viber(client, viber_api)
    event = viber.event({"type": "text", "text": "1000100001"})
    viber.post(event)
    viber.post(event)
    assert len(viber_api.calls) == 1


@pytest.mark.django_db
def test_a_wrong_signature_changes_nothing_and_sends_nothing(client, two_zone_meter, viber_api):
    viber = Viber(client, viber_api)
    assert viber.post(viber.event({"type": "text", "text": "1000100001"}), token="guess").status_code == 403
    assert not ChannelChat.objects.exists() and not viber_api.calls


@pytest.mark.django_db
def test_when_viber_refuses_the_send_the_webhook_still_answers_200(client, two_zone_meter):
    with responses.RequestsMock() as api:
        api.post(SEND_URL, json={"status": 6, "status_message": "notSubscribed"})
        viber = Viber(client, api)
        response = viber.post(viber.event({"type": "text", "text": "1000100001"}))
    assert response.status_code == 200
    assert ChannelChat.objects.get(user_id=USER_ID).entered_account == "1000100001"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        [],
        {"event": "delivered", "timestamp": 1, "message_token": 1, "user_id": USER_ID},
        {"event": "message", "sender": "x", "message": {}},
        {"event": "message", "sender": {"id": 5}, "message": {"type": "text", "text": "1"}},
        {"event": "message", "sender": {"id": USER_ID}, "message": {"type": "location", "location": {"lat": 1}}},
        {"event": "conversation_started", "user": "x"},
    ],
)
def test_no_malformed_callback_answers_500(client, viber_api, body):
    assert Viber(client, viber_api).post(body).status_code == 200
