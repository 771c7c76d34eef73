"""What the billing commands share: reading a `--month YYYY-MM` option (not a command itself)."""

from datetime import date, datetime

from django.core.management.base import CommandError


def month_option(text: str) -> date:
    """The first day of the month `YYYY-MM` names; a CommandError saying the format otherwise."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"--month must be YYYY-MM: {error}") from error
