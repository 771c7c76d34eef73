"""Linking accounts: proof by account number + meter serial, neutral errors, limits, events."""

import datetime

import pytest

from accounts.models import AccountLink, AccountLinkEvent, InvoiceMode, LinkAction
from accounts.services import (
    LinkError,
    account_link,
    account_link_by_staff,
    account_settings_update,
    account_unlink,
    link_notifications_set,
    user_language_set,
)
from tests.factories import AccountLinkFactory, MeterFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis")]  # attempts are counted in the cache

IP = "203.0.113.7"


@pytest.fixture
def meter():
    return MeterFactory(serial_number="01952-AB", account__number="1000100001")


def link(user, number="1000100001", serial="01952-AB", ip=IP):
    return account_link(user=user, account_number=number, meter_serial=serial, client_ip=ip)


def test_right_pair_links_and_is_recorded(meter):
    user = UserFactory()
    created = link(user)
    assert created.account == meter.account and created.user == user
    event = AccountLinkEvent.objects.get()
    assert (event.action, event.account, event.user_email, event.client_ip, event.by_staff) == (
        LinkAction.LINK,
        meter.account,
        user.email,
        IP,
        False,
    )


@pytest.mark.parametrize(("number", "serial"), [("1000 1000-01", "01952-ab"), (" 1000100001 ", " 01952-AB ")])
def test_numbers_as_customers_type_them(meter, number, serial):
    assert link(UserFactory(), number, serial).account == meter.account


@pytest.mark.parametrize(
    ("number", "serial"),
    [("1000100002", "01952-AB"), ("1000100001", "01952-AC"), ("", "01952-AB"), ("1000100001", "")],
)
def test_a_wrong_half_gives_the_same_error_and_links_nothing(meter, number, serial):
    user = UserFactory()
    with pytest.raises(LinkError) as error:
        link(user, number, serial)
    assert error.value.code == "not_found"
    assert not AccountLink.objects.exists()
    assert AccountLinkEvent.objects.get().action == LinkAction.FAILED


def test_serial_of_a_meter_on_another_account_does_not_prove_this_one(meter):
    other = MeterFactory(serial_number="99999")
    with pytest.raises(LinkError) as error:
        link(UserFactory(), meter.account.number, other.serial_number)
    assert error.value.code == "not_found"
    assert not AccountLink.objects.exists()


def test_a_removed_meter_no_longer_proves_possession(meter):
    meter.removed_on = datetime.date(2026, 1, 1)
    meter.save()
    with pytest.raises(LinkError) as error:
        link(UserFactory())
    assert error.value.code == "not_found"
    assert not AccountLink.objects.exists()


def test_inactive_account_cannot_be_linked(meter):
    meter.account.is_active = False
    meter.account.save()
    with pytest.raises(LinkError) as error:
        link(UserFactory())
    assert error.value.code == "not_found"
    assert not AccountLink.objects.exists()


def test_linking_twice_says_already_linked(meter):
    user = UserFactory()
    link(user)
    with pytest.raises(LinkError) as error:
        link(user)
    assert error.value.code == "already_linked"
    assert AccountLink.objects.count() == 1


def test_family_members_link_the_same_account_and_one_links_many(meter):
    first, second = UserFactory(), UserFactory()
    link(first)
    link(second)
    other = MeterFactory(serial_number="555")
    link(first, other.account.number, "555")
    assert AccountLink.objects.filter(account=meter.account).count() == 2
    assert AccountLink.objects.filter(user=first).count() == 2


def test_failures_are_limited_per_user(meter, settings):
    settings.ACCOUNT_LINK_FAILURES_PER_USER = 3
    user = UserFactory()
    for _ in range(3):
        with pytest.raises(LinkError) as error:
            link(user, serial="wrong")
        assert error.value.code == "not_found"
    with pytest.raises(LinkError) as error:
        link(user)  # even the right pair is refused now, without being checked
    assert error.value.code == "rate_limited"
    assert not AccountLink.objects.exists()
    assert link(UserFactory(), ip="198.51.100.1")  # another user elsewhere is not affected


def test_failures_are_limited_per_client_address(meter, settings):
    settings.ACCOUNT_LINK_FAILURES_PER_IP = 4
    for _ in range(4):
        with pytest.raises(LinkError) as error:
            link(UserFactory(), serial="wrong")
        assert error.value.code == "not_found"
    with pytest.raises(LinkError) as error:
        link(UserFactory())  # a fresh account from the same address
    assert error.value.code == "rate_limited"
    assert link(UserFactory(), ip="198.51.100.1")


def test_unlink_removes_only_that_users_link_and_is_recorded(meter):
    first, second = UserFactory(), UserFactory()
    first_link = link(first)
    link(second)
    account_unlink(link=first_link, actor=first, client_ip=IP)
    assert list(AccountLink.objects.values_list("user", flat=True)) == [second.pk]
    event = AccountLinkEvent.objects.filter(action=LinkAction.UNLINK).get()
    assert (event.user, event.account, event.by_staff) == (first, meter.account, False)


def test_staff_link_and_unlink_on_request_are_recorded_as_staff(meter):
    staff = UserFactory(is_staff=True)
    customer = UserFactory()
    created = account_link_by_staff(staff=staff, user=customer, account=meter.account)
    assert created.created_by_staff == staff
    account_unlink(link=created, actor=staff)
    events = list(AccountLinkEvent.objects.order_by("created_at").values_list("action", "by_staff", "actor"))
    assert events == [(LinkAction.LINK, True, staff.pk), (LinkAction.UNLINK, True, staff.pk)]


def test_account_settings_update(meter):
    account = account_settings_update(
        account=meter.account, invoice_mode=InvoiceMode.SUPPLIER, paper_copy=True, premises_vacant=True
    )
    account.refresh_from_db()
    assert (account.invoice_mode, account.paper_copy, account.premises_vacant) == ("supplier", True, True)
    with pytest.raises(ValueError):
        account_settings_update(account=account, invoice_mode="fax", paper_copy=False, premises_vacant=False)


def test_notifications_are_per_family_member():
    first = AccountLinkFactory()
    second = AccountLinkFactory(account=first.account)
    link_notifications_set(link=first, notify_by_email=False)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.notify_by_email, second.notify_by_email) == (False, True)


def test_user_language():
    user = UserFactory()
    user_language_set(user=user, language="en")
    user.refresh_from_db()
    assert user.preferred_language == "en"
    with pytest.raises(ValueError):
        user_language_set(user=user, language="de")
