"""Staff screens: search, linking on a customer's request, the outbox and the link events."""

import pytest

from accounts.models import AccountLink, AccountLinkEvent, EmailStatus, OutgoingEmail
from accounts.services import email_enqueue
from tests.factories import AccountLinkFactory, MeterFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="operator@example.com"))
    return client


@pytest.mark.parametrize("query", ["1000100001", "02000007", "Голосіївський", "olena@example.com"])
def test_accounts_are_found_by_number_serial_address_and_email(staff_client, query):
    link = AccountLinkFactory(
        user__email="olena@example.com", account__number="1000100001", account__address="просп. Голосіївський, 5"
    )
    MeterFactory(account=link.account, serial_number="02000007")
    AccountLinkFactory()  # someone else, must not match
    response = staff_client.get("/en/admin/accounts/personalaccount/", {"q": query})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [link.account]


def test_staff_link_on_request_is_recorded(staff_client):
    customer = UserFactory()
    meter = MeterFactory()
    response = staff_client.post(
        "/en/admin/accounts/accountlink/add/", {"user": customer.pk, "account": meter.account.pk}
    )
    assert response.status_code == 302
    link = AccountLink.objects.get()
    assert link.created_by_staff.email == "operator@example.com"
    event = AccountLinkEvent.objects.get()
    assert (event.action, event.by_staff, event.actor.email) == ("link", True, "operator@example.com")


def test_staff_unlink_action_is_recorded(staff_client):
    link = AccountLinkFactory()
    response = staff_client.post(
        "/en/admin/accounts/accountlink/", {"action": "unlink_selected", "_selected_action": [link.pk]}
    )
    assert response.status_code == 302
    assert not AccountLink.objects.exists()
    assert AccountLinkEvent.objects.get().action == "unlink"


def test_outbox_is_visible_and_failed_mail_can_be_sent_again(staff_client):
    email = email_enqueue(to_email="a@example.com", subject="Тест", body_text="x", language="uk", kind="test")
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, attempts=8, last_error="SMTP down")
    page = staff_client.get("/en/admin/accounts/outgoingemail/", {"status__exact": "failed"})
    assert "a@example.com" in page.content.decode()
    staff_client.post("/en/admin/accounts/outgoingemail/", {"action": "send_again_now", "_selected_action": [email.pk]})
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED


def test_link_events_are_read_only(staff_client):
    AccountLinkEvent.objects.create(action="failed", user_email="x@example.com", account_number="123")
    assert staff_client.get("/en/admin/accounts/accountlinkevent/").status_code == 200
    assert staff_client.get("/en/admin/accounts/accountlinkevent/add/").status_code == 403
