"""The Facebook Messenger bot end to end with Meta's documented webhook JSON, signed with
X-Hub-Signature-256; answers are Send API calls caught at the HTTP boundary (the `responses` library)
and answered with Meta's documented JSON. The reading reaches the cabinet history as "Facebook Messenger"."""

import hashlib
import hmac
import json

import pytest
import responses
import time_machine

from readings.channels.conversation import BotReply
from readings.channels.messenger import messenger_send
from readings.models import ChannelChat, Reading

SECRET = "local-messenger-secret"
SEND_URL = "https://graph.facebook.com/v21.0/me/messages"
PSID = "6783102384372271"
PAGE_ID = "104539268123456"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel("2026-11-20 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def send_api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(
            SEND_URL,
            json={
                "recipient_id": PSID,
                "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlq",
            },
        )
        yield mock


class Messenger:
    def __init__(self, client, api):
        self.client, self.api, self.number = client, api, 0

    def event(self, message: dict) -> dict:
        self.number += 1
        return {
            "object": "page",
            "entry": [
                {
                    "id": PAGE_ID,
                    "time": 1795680000000 + self.number,
                    "messaging": [
                        {
                            "sender": {"id": PSID},
                            "recipient": {"id": PAGE_ID},
                            "timestamp": 1795680000000 + self.number,
                            "message": {"mid": f"m_1457764197618:41d102a3e1ae206a38:{self.number}", **message},
                        }
                    ],
                }
            ],
        }

    def post(self, body: dict, secret=SECRET):
        raw = json.dumps(body).encode()
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        return self.client.post(
            "/channels/messenger/webhook/", raw, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
        )

    def send(self, message: dict) -> dict:
        calls = len(self.api.calls)
        response = self.post(self.event(message))
        assert response.status_code == 200 and response.content == b"EVENT_RECEIVED"
        assert len(self.api.calls) == calls + 1
        request = self.api.calls[-1].request
        assert "access_token=local-messenger-page-token" in request.url
        sent = json.loads(request.body)
        assert sent["recipient"] == {"id": PSID} and sent["messaging_type"] == "RESPONSE"
        return sent["message"]

    def say(self, text: str) -> dict:
        return self.send({"text": text})


def quick_replies(message: dict) -> list[tuple[str, str]]:
    return [(reply["title"], reply["payload"]) for reply in message.get("quick_replies", [])]


@pytest.mark.django_db
def test_meta_verifies_the_webhook_with_the_verify_token(client):
    query = "hub.mode=subscribe&hub.verify_token=local-messenger-verify&hub.challenge=1158201444"
    answer = client.get(f"/channels/messenger/webhook/?{query}")
    assert (answer.status_code, answer.content) == (200, b"1158201444")
    wrong = client.get("/channels/messenger/webhook/?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1")
    assert wrong.status_code == 403 and wrong.content == b""


@pytest.mark.django_db
def test_a_messenger_conversation_passes_a_two_zone_reading_into_the_cabinet_history(client, two_zone_meter, send_api):
    bot = Messenger(client, send_api)
    assert "особового рахунку" in bot.say("Привіт")["text"]
    assert "заводський номер" in bot.say("1000100001")["text"]
    found = bot.say("02000007")
    assert "02000007" in found["text"] and "*" in found["text"]  # the masked address
    bot.say("28100")
    confirm = bot.say("14010")
    assert quick_replies(confirm) == [("Так, надіслати", "Так, надіслати"), ("Ні, ввести знову", "Ні, ввести знову")]
    done = bot.send({"text": "Так, надіслати", "quick_reply": {"payload": "Так, надіслати"}})
    assert "28100" in done["text"] and "14010" in done["text"]
    assert quick_replies(done) == [("Передати ще покази", "Передати ще покази"), ("Інший рахунок", "Інший рахунок")]
    reading = Reading.objects.get(meter=two_zone_meter, reading_date="2026-11-20")
    assert (reading.day, reading.night, reading.channel) == (28100, 14010, "messenger")

    client.force_login(two_zone_meter.account.links.get().user)
    history = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in history and "Facebook Messenger" in history


def test_a_long_button_is_cut_to_metas_20_characters_but_its_payload_is_whole(send_api):
    messenger_send(PSID, BotReply("?", (("Передати ще один показ лічильника",), ("02000007",))))
    sent = json.loads(send_api.calls[-1].request.body)["message"]
    assert quick_replies(sent) == [
        ("Передати ще один пок", "Передати ще один показ лічильника"),
        ("02000007", "02000007"),
    ]


@pytest.mark.django_db
def test_a_thumbs_up_gets_the_prompt_and_echoes_get_nothing(client, two_zone_meter, send_api):
    bot = Messenger(client, send_api)
    bot.say("1000100001")
    like = bot.send(
        {
            "sticker_id": 369239263222822,
            "attachments": [
                {
                    "type": "image",
                    "payload": {
                        "url": "https://scontent.xx.fbcdn.net/v/t39.1997-6/39178562_1505197616293642_5411344281094848512_n.png",
                        "sticker_id": 369239263222822,
                    },
                }
            ],
        }
    )
    assert like["text"] == "Тепер надішліть заводський номер лічильника — як на його табличці."
    calls = len(send_api.calls)
    echo = bot.event({"is_echo": True, "app_id": 1517776481860111, "text": "Тепер..."})
    assert bot.post(echo).status_code == 200 and len(send_api.calls) == calls
    assert ChannelChat.objects.get(user_id=PSID).entered_account == "1000100001"


@pytest.mark.django_db
def test_a_wrong_signature_changes_nothing(client, two_zone_meter, send_api):
    bot = Messenger(client, send_api)
    assert bot.post(bot.event({"text": "1000100001"}), secret="guess").status_code == 403
    assert not ChannelChat.objects.exists() and not send_api.calls


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        [],
        {"object": "instagram", "entry": []},
        {"object": "page", "entry": "x"},
        {"object": "page", "entry": [{"messaging": [{"sender": "x", "message": {"text": "1"}}]}]},
        {"object": "page", "entry": [{"messaging": [{"sender": {"id": PSID}, "delivery": {"mids": ["m_1"]}}]}]},
        {"object": "page", "entry": [{"messaging": [{"sender": {"id": True}, "message": {"text": "1"}}]}]},
        {"object": "page", "entry": [{"messaging": [{"sender": {"id": PSID}, "message": {"text": 5, "mid": []}}]}]},
    ],
)
def test_no_malformed_webhook_answers_500(client, send_api, body):
    assert Messenger(client, send_api).post(body).status_code == 200
