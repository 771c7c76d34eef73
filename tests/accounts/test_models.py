"""The database itself refuses what would break the accounts' invariants."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AccountLink, District, PersonalAccount, User
from tests.factories import AccountLinkFactory, DistrictFactory, PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def refused(callable_, *args, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_(*args, **kwargs)


def test_email_is_the_login_and_unique_whatever_the_case():
    user = User.objects.create_user("Olena@Example.com", "pw-2026-strong")
    assert user.email == "olena@example.com"
    assert user.check_password("pw-2026-strong")
    refused(User.objects.create, email="OLENA@example.com")


def test_superuser_is_staff():
    admin = User.objects.create_superuser("boss@example.com", "pw-2026-strong")
    assert admin.is_staff and admin.is_superuser


def test_duplicate_account_number_is_refused():
    account = PersonalAccountFactory()
    refused(PersonalAccountFactory, number=account.number)


@pytest.mark.parametrize("number", ["12a4567", "123", "", "1234 567890"])
def test_account_number_must_be_4_to_20_digits(number):
    refused(PersonalAccountFactory, number=number)


def test_residents_at_least_one():
    refused(PersonalAccountFactory, residents=0)


def test_invoice_mode_must_be_known():
    refused(PersonalAccountFactory, invoice_mode="email")


def test_duplicate_link_is_refused_but_family_members_may_share_an_account():
    link = AccountLinkFactory()
    refused(AccountLink.objects.create, user=link.user, account=link.account)
    AccountLinkFactory(account=link.account)  # a second user on the same account
    AccountLinkFactory(user=link.user)  # a second account for the same user
    assert AccountLink.objects.count() == 3


def test_duplicate_district_code_is_refused():
    District.objects.create(code="KYIV", name="Київ")
    refused(District.objects.create, code="KYIV", name="Інший Київ")


@pytest.mark.parametrize(
    "window",
    [
        {"window_open_day": 0},
        {"window_close_day": 32},
        {"window_open_day": -29},
        {"window_open_month_offset": 2},
        {"window_close_month_offset": -1},
        {"window_policy": "maybe"},
        {"code": "kyiv lower"},
    ],
)
def test_district_window_values_are_checked_by_the_database(window):
    refused(District.objects.create, **{"code": "X1", "name": "X", **window})


def test_district_window_is_built_from_its_four_numbers():
    district = DistrictFactory(
        window_open_month_offset=0, window_open_day=20, window_close_month_offset=0, window_close_day=25
    )
    from datetime import date

    assert district.window.closes_on(date(2026, 11, 1)) == date(2026, 11, 25)


def test_deleting_a_district_with_accounts_is_refused():
    from django.db.models import ProtectedError

    account = PersonalAccountFactory()
    with pytest.raises(ProtectedError):
        account.district.delete()
    assert PersonalAccount.objects.filter(pk=account.pk).exists()


def test_user_factory_password_works():
    user = UserFactory()
    assert user.check_password("test-password-2026")
