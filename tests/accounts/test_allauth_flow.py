"""Registration with allauth: mandatory verification by a link that arrives through the outbox."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import OutgoingEmail, User
from tests.html import page_text

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")


def sign_up(client, prefix="", email="new@example.com"):
    return client.post(
        f"{prefix}/accounts/signup/",
        {"email": email, "password1": "Kyiv-Energy-2026!", "password2": "Kyiv-Energy-2026!"},
    )


@pytest.mark.parametrize(
    ("prefix", "language", "subject_start"), [("", "uk", "Енергопортал:"), ("/en", "en", "Energy portal:")]
)
def test_signup_records_a_verification_email_in_the_visitors_language(client, prefix, language, subject_start):
    response = sign_up(client, prefix)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.preferred_language == language
    email = OutgoingEmail.objects.get()
    assert (email.to_email, email.kind, email.language, email.status) == (
        "new@example.com",
        "email_confirmation_signup",
        language,
        "queued",
    )
    assert email.subject.startswith(subject_start)
    assert LINK.search(email.body_text)
    assert mail.outbox == []  # nothing is sent inline: the outbox's worker sends it


def test_login_is_refused_until_the_email_is_verified_then_the_link_logs_in(client):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/login/", {"login": "new@example.com", "password": "Kyiv-Energy-2026!"})
    assert response.status_code == 302 and "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session
    link = LINK.search(OutgoingEmail.objects.latest("created_at").body_text).group(0)
    path = link.split("http://127.0.0.1:8000", 1)[1]  # PORTAL_URL in the tests
    assert client.get(path).status_code == 200  # a page with a confirm button: previews do not confirm
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert client.get("/cabinet/").status_code == 200


def test_password_reset_email_goes_through_the_outbox_in_the_users_language(client):
    sign_up(client, "/en")
    client.logout()
    client.post("/accounts/password/reset/", {"email": "new@example.com"})
    reset = OutgoingEmail.objects.filter(kind="password_reset_key").get()
    assert reset.language == "en"  # the user registered in English, asked from the Ukrainian page
    assert "http://127.0.0.1:8000/en/accounts/password/reset/key/" in reset.body_text  # opens in English too


def test_signup_page_is_in_the_portal_layout_and_translated(client):
    text = page_text(client.get("/accounts/signup/"))
    assert "Енергопортал" in text and "Контакти центрів обслуговування" in text
    assert "Зареєструватися" in text


@pytest.mark.parametrize(("prefix", "lands_on"), [("", "/ru/cabinet/"), ("/en", "/en/cabinet/")])
def test_after_login_the_site_speaks_the_users_language_unless_another_was_chosen(client, prefix, lands_on):
    from tests.factories import UserFactory
    from tests.factories.accounts import PASSWORD

    user = UserFactory(email="olena@example.com", preferred_language="ru")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(f"{prefix}/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, lands_on)
