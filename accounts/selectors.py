"""Reads about users and their accounts. Every account-scoped read goes through `account_for_user`."""

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import AccountLink, PersonalAccount, User
from accounts.voice_codes import account_id_of, voice_code


def accounts_visible_to(user: User) -> QuerySet[PersonalAccount]:
    """Staff with the contact centre's permission see every account; everybody else only the linked ones."""
    if user.is_staff and user.has_perm("accounts.view_customer_cabinet"):
        return PersonalAccount.objects.all()
    return PersonalAccount.objects.filter(links__user=user)


def account_for_user(user: User, number: str) -> PersonalAccount:
    """The account with this number if the user may see it; 404 otherwise, never a hint that it exists."""
    account = accounts_visible_to(user).select_related("district").filter(number=number).first()
    if account is None:
        raise Http404("No such account.")
    return account


def link_of(user: User, account: PersonalAccount) -> AccountLink | None:
    return AccountLink.objects.filter(user=user, account=account).first()


def linked_accounts(user: User) -> QuerySet[PersonalAccount]:
    """The user's own accounts, in the order they linked them."""
    return (
        PersonalAccount.objects.filter(links__user=user)
        .select_related("district")
        .order_by("links__created_at", "number")
    )


def account_voice_code(account_id: int) -> str:
    """The nine-digit code printed at the top of the account's bills for the voice menu."""
    return voice_code(account_id, settings.VOICE_CODE_KEY.encode())


def account_by_voice_code(spoken: str) -> PersonalAccount | None:
    """The active account a dictated voice code names (any grouping), or None."""
    account_id = account_id_of(spoken, settings.VOICE_CODE_KEY.encode())
    if account_id is None:
        return None
    return PersonalAccount.objects.select_related("district").filter(pk=account_id, is_active=True).first()
