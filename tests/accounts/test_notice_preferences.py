"""Notice preferences and the unsubscribe link: works without logging in, GET changes nothing, honoured at once."""

import pytest
from django.core import mail, signing
from django.core.signing import Signer
from django.utils import timezone

from accounts.models import EmailStatus, OutgoingEmail
from accounts.services import (
    email_deliver,
    email_enqueue,
    unsubscribe_headers,
    unsubscribe_token,
    unsubscribe_url,
    user_notifications_set,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def olena():
    return UserFactory(email="olena@example.com", preferred_language="en")


def token_path(user, notice="reminders", language="en"):
    return unsubscribe_url(user_id=user.pk, notice=notice, language=language).removeprefix("http://127.0.0.1:8000")


def queue_reminder(recipient, **overrides):
    url = unsubscribe_url(user_id=recipient.pk, notice="reminders", language="en")
    fields = {
        "to_email": recipient.email,
        "subject": "Pass your meter reading",
        "body_text": "...",
        "language": "en",
        "kind": "reading_reminder",
        "dedup_key": f"test:{recipient.pk}",
        "headers": unsubscribe_headers(url),
        "user": recipient,
    }
    return email_enqueue(**(fields | overrides))


def test_the_url_is_absolute_localized_and_signed(olena, settings):
    settings.PORTAL_URL = "https://portal.example"
    url = unsubscribe_url(user_id=olena.pk, notice="reminders", language="en")
    assert url.startswith("https://portal.example/en/unsubscribe/") and url.endswith("/")
    assert unsubscribe_url(user_id=olena.pk, notice="reminders", language="uk").startswith(
        "https://portal.example/unsubscribe/"
    )


def test_get_shows_what_stops_and_changes_nothing(client, olena):
    response = client.get(token_path(olena))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Stop emails to olena@example.com about reminders to pass readings?" in text
    assert 'method="post"' in text
    olena.refresh_from_db()
    assert olena.notify_reminders is True


def test_the_button_post_applies_at_once_without_logging_in(olena):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get(token_path(olena))
    csrf = page.cookies["csrftoken"].value
    response = client.post(token_path(olena), {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 200
    assert "we will no longer email olena@example.com about reminders to pass readings" in response.content.decode()
    olena.refresh_from_db()
    assert olena.notify_reminders is False
    assert olena.notify_estimates is True and olena.notify_decisions is True and olena.notify_invoices is True


def test_a_plain_post_without_the_csrf_token_is_refused(olena):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(token_path(olena), {})
    assert response.status_code == 403
    olena.refresh_from_db()
    assert olena.notify_reminders is True


def test_the_one_click_post_of_a_mail_client_needs_no_csrf_token(olena):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        token_path(olena, "estimates"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    olena.refresh_from_db()
    assert olena.notify_estimates is False and olena.notify_reminders is True


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "WzEsInJlbWluZGVycyJd:1abc:forged",
        Signer(salt="accounts.unsubscribe").sign("1"),  # a signature of something else
    ],
)
def test_a_bad_or_tampered_token_gets_a_clear_page_and_changes_nothing(client, olena, token):
    for method in (client.get, client.post):
        response = method(f"/en/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    olena.refresh_from_db()
    assert olena.notify_reminders is True


def test_a_token_for_another_user_cannot_be_made_by_editing_the_id(client, olena):
    other = UserFactory()
    token = unsubscribe_token(user_id=olena.pk, notice="reminders")
    payload, signature = token.split(":", 1)
    forged = signing.b64_encode(f'[{other.pk},"reminders"]'.encode()).decode() + ":" + signature
    assert forged != token
    assert client.post(f"/en/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"}).status_code == 400
    other.refresh_from_db()
    assert other.notify_reminders is True


def test_a_queued_email_of_an_unsubscribed_kind_is_not_sent(olena):
    email = queue_reminder(olena)
    other = queue_reminder(olena, kind="invoice_ready", dedup_key="test:invoice", user=None)
    # The user turns reminders off directly in the database (as if between enqueue and send): still not sent.
    type(olena).objects.filter(pk=olena.pk).update(notify_reminders=False)
    assert email_deliver(email_id=email.pk, now=timezone.now()).status == "cancelled"
    assert email_deliver(email_id=other.pk, now=timezone.now()).status == "sent"
    email.refresh_from_db()
    assert email.status == EmailStatus.CANCELLED
    assert [message.subject for message in mail.outbox] == ["Pass your meter reading"]


def test_unsubscribing_marks_the_queued_emails_of_that_kind_at_once(client, olena):
    email = queue_reminder(olena)
    invoice = queue_reminder(olena, kind="invoice_ready", dedup_key="test:invoice", user=None)
    client.post(token_path(olena), {"List-Unsubscribe": "One-Click"})
    assert OutgoingEmail.objects.get(pk=email.pk).status == EmailStatus.CANCELLED
    assert OutgoingEmail.objects.get(pk=invoice.pk).status == EmailStatus.QUEUED


def test_invoice_emails_without_a_user_follow_the_invoices_preference_by_address(olena):
    email = queue_reminder(
        olena, kind="invoice_ready", dedup_key="test:invoice", user=None, to_email="OLENA@example.com"
    )
    user_notifications_set(user=olena, notices={"invoices": False})
    assert OutgoingEmail.objects.get(pk=email.pk).status == EmailStatus.CANCELLED


def test_the_message_carries_the_rfc_8058_headers(olena):
    email = queue_reminder(olena)
    email_deliver(email_id=email.pk, now=timezone.now())
    message = mail.outbox[0].message()
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/en/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_profile_form_turns_notices_on_and_off(client, olena):
    client.force_login(olena)
    page = client.get("/en/cabinet/profile/")
    assert page.status_code == 200
    for name in ("notify_reminders", "notify_decisions", "notify_estimates", "notify_invoices"):
        assert f'name="{name}"' in page.content.decode()
    response = client.post(
        "/en/cabinet/profile/",
        {"full_name": "Olena", "preferred_language": "en", "notify_reminders": "on", "notify_invoices": "on"},
    )
    assert response.status_code == 302
    olena.refresh_from_db()
    assert (olena.notify_reminders, olena.notify_decisions, olena.notify_estimates, olena.notify_invoices) == (
        True,
        False,
        False,
        True,
    )


def test_unknown_notices_are_refused(olena):
    with pytest.raises(ValueError):
        user_notifications_set(user=olena, notices={"spam": False})
