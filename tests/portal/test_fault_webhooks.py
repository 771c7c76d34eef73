"""Finding 5 of issue 15: webhooks and the API never answer 500 to what a stranger sends.

Secrets are compared as bytes (a non-ASCII header is just a wrong secret), a Telegram update of an
unexpected shape is answered 200 and ignored, and every error on /api/ and /channels/ is JSON in the
API's shape, including a body over the upload limit (413).
"""

import hashlib
import hmac
import json

import pytest

from readings.models import Reading, TelegramChat

pytestmark = pytest.mark.django_db

TOO_BIG = b'{"text": "' + b"x" * (3 * 1024 * 1024) + b'"}'  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)


def error_of(response) -> dict:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response.json()["error"]


@pytest.mark.parametrize("signature", ["é" * 64, "sha256=підпис", "\u00ff"])
def test_a_non_ascii_sms_signature_is_a_wrong_signature(client, signature):
    body = json.dumps({"from": "+380501234567", "text": "1 # 001952"}).encode()
    response = client.post("/channels/sms/inbound/", body, content_type="application/json", HTTP_X_SIGNATURE=signature)
    assert response.status_code == 403 and error_of(response)["code"] == "bad_signature"
    assert not Reading.objects.exists()


def test_a_non_ascii_telegram_secret_is_a_wrong_secret(client):
    response = client.post(
        "/channels/telegram/webhook/",
        {"update_id": 1},
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="секрет",
    )
    assert response.status_code == 403 and "json" in response["Content-Type"]


@pytest.mark.parametrize(
    "message",
    [
        {"message_id": 1, "chat": "private", "text": "hi"},
        {"message_id": 1, "chat": {"id": 5, "type": "private"}, "from": ["not", "an", "object"], "text": "hi"},
        {"message_id": 1, "chat": {"id": "5", "type": "private"}, "text": "hi"},
        "just text",
    ],
)
def test_a_telegram_update_of_an_unexpected_shape_is_answered_200_and_ignored(client, settings, message):
    response = client.post(
        "/channels/telegram/webhook/",
        {"update_id": 7, "message": message},
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=settings.TELEGRAM_WEBHOOK_SECRET,
    )
    assert response.status_code == 200
    assert not TelegramChat.objects.exclude(chat_id=5).exists()


@pytest.mark.parametrize("path", ["/channels/sms/inbound/", "/api/v1/auth/token/", "/api/v1/integrations/readings/"])
def test_a_body_over_the_upload_limit_is_a_json_413(client, path):
    response = client.post(path, TOO_BIG, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 413
    assert error_of(response) == {"code": "too_large", "message": "The request body is too large.", "fields": {}}


def test_a_signed_body_over_the_upload_limit_is_a_json_413_too(client, settings):
    """Content-Length may lie or be missing: the body is refused when read, still as JSON."""
    signature = hmac.new(settings.SMS_WEBHOOK_SECRET.encode(), TOO_BIG, hashlib.sha256).hexdigest()
    response = client.generic(
        "POST",
        "/channels/sms/inbound/",
        TOO_BIG,
        content_type="application/json",
        HTTP_X_SIGNATURE=signature,
        CONTENT_LENGTH="10",
    )
    assert response.status_code in (400, 403, 413) and "json" in response["Content-Type"]


def test_django_own_errors_on_machine_endpoints_are_json_in_the_callers_language(client):
    wrong_method = client.get("/channels/sms/inbound/", HTTP_ACCEPT_LANGUAGE="en")
    assert wrong_method.status_code == 405 and wrong_method["Allow"] == "POST"
    assert error_of(wrong_method)["message"] == "This method is not allowed here."
    missing = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="uk")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    assert error_of(missing)["message"] == "Не знайдено."
