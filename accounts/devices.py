"""Signed-in devices: the API tokens a customer's mobile app holds, issued only to verified emails.

A token is a password that never expires, so it is issued only to a person whose email is confirmed
(the same rule allauth applies to the web sign-in), and the customer can end it from the profile
("signed-in devices"); staff end it in the admin (Auth Token -> Tokens, delete).
"""

from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token

from accounts.models import User


def email_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def signed_in_devices(user: User) -> list[Token]:
    return list(Token.objects.filter(user=user))


def api_token_issue(*, user: User) -> Token:
    """The user's token (one per user: the mobile app), created on first sign-in. Caller checks the email."""
    token, _created = Token.objects.get_or_create(user=user)
    return token


def api_tokens_revoke(*, user: User) -> int:
    """Signs the user's devices out: their tokens stop working at the next request."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted
