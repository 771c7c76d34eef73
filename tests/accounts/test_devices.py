"""API tokens: only for a verified email; the customer and the contact centre can sign devices out."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import AccountLinkFactory
from tests.factories.accounts import CONTACT_CENTRE, PASSWORD, staff_in_role
from tests.html import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return AccountLinkFactory(account__number="1000100001").user


def sign_in(user, language="en"):
    api = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    return api, api.post("/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json")


def accounts_with(token: str):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get("/api/v1/accounts/")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Confirm your email address first: open the link in the email we sent you, then sign in again."),
        ("uk", "Спершу підтвердьте адресу електронної пошти: відкрийте посилання з нашого листа й увійдіть знову."),
    ],
)
def test_an_unverified_email_gets_no_token(customer, language, message):
    EmailAddress.objects.create(user=customer, email=customer.email, verified=False, primary=True)
    _, response = sign_in(customer, language)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_not_verified"
    assert response.json()["error"]["message"] == message
    assert not Token.objects.filter(user=customer).exists()


def test_no_email_record_at_all_is_unverified_too(customer):
    _, response = sign_in(customer)
    assert response.status_code == 403 and not Token.objects.exists()


def test_a_verified_email_gets_a_token_that_works(customer):
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    _, response = sign_in(customer)
    assert response.status_code == 200
    assert [a["number"] for a in accounts_with(response.json()["token"]).json()] == ["1000100001"]


def test_the_customer_signs_the_app_out_from_the_profile(client, customer):
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    token = sign_in(customer)[1].json()["token"]
    client.force_login(customer)
    profile = page_text(client.get("/en/cabinet/profile/"))
    assert "Signed-in devices" in profile and "The mobile app, signed in on" in profile
    response = client.post("/en/cabinet/profile/devices/sign-out/", follow=True)
    assert "Your devices are signed out. Sign in again in the app to use it." in page_text(response)
    assert "No device is signed in with your account." in page_text(response)
    assert accounts_with(token).status_code == 401
    assert client.get("/en/cabinet/profile/devices/sign-out/").status_code == 405


def test_the_contact_centre_signs_a_lost_phone_out_in_the_admin(client, customer):
    EmailAddress.objects.create(user=customer, email=customer.email, verified=True, primary=True)
    token = sign_in(customer)[1].json()["token"]
    client.force_login(staff_in_role(CONTACT_CENTRE))
    delete = f"/en/admin/authtoken/tokenproxy/{customer.pk}/delete/"  # DRF's admin finds a token by its user
    assert client.get(delete).status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert accounts_with(token).status_code == 401
