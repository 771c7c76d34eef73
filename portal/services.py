"""Writes that belong to the portal as a whole."""

from accounts.models import User


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a user reads in; their emails and documents use it."""
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
