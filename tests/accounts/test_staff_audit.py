"""Staff roles and the audit of staff: who looked at which customer's page, and who did what, when."""

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import PersonalAccount
from readings.models import Reading
from tests.factories import AccountLinkFactory, MeterFactory, ReadingFactory, UserFactory
from tests.factories.accounts import BILLING_STAFF, CONTACT_CENTRE, READING_REVIEWERS, staff_in_role
from tests.html import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_account():
    account = AccountLinkFactory(account__number="1000100001", account__address="вул. Моя, 1").account
    MeterFactory(account=account, serial_number="111")
    return account


def staff_entries(account=None, **filters):
    entries = LogEntry.objects.filter(additional_data__by="staff", **filters)
    if account is not None:
        entries = entries.filter(content_type__model="personalaccount", object_pk=str(account.pk))
    return list(entries.order_by("timestamp", "pk"))


def test_the_migration_created_the_three_roles_with_their_permissions():
    groups = {group.name: group for group in Group.objects.prefetch_related("permissions")}
    assert {CONTACT_CENTRE, READING_REVIEWERS, BILLING_STAFF} <= set(groups)
    codenames = {name: {p.codename for p in groups[name].permissions.all()} for name in groups}
    assert "view_customer_cabinet" in codenames[CONTACT_CENTRE]
    assert "view_customer_cabinet" not in codenames[READING_REVIEWERS] | codenames[BILLING_STAFF]
    assert {"change_reading", "add_reading"} <= codenames[READING_REVIEWERS]
    assert {"change_tariff", "change_invoice", "add_payment"} <= codenames[BILLING_STAFF]
    # The contact centre changes nothing, except signing a customer's lost phone out.
    changes = {code for code in codenames[CONTACT_CENTRE] if code.startswith(("change_", "add_", "delete_"))}
    assert changes == {"delete_tokenproxy"}


@time_machine.travel("2026-12-02 10:15 +0200", tick=False)
def test_every_look_of_the_contact_centre_at_a_customers_pages_is_recorded(client, customer_account):
    operator = staff_in_role(CONTACT_CENTRE, email="operator@example.com")
    client.force_login(operator)
    pages = [
        reverse("account_detail", args=["1000100001"]),
        reverse("meter_history", args=["1000100001", "111"]),
        reverse("account_invoices", args=["1000100001"]),
    ]
    for page in pages:
        assert client.get(page).status_code == 200
    entries = staff_entries(customer_account)
    assert [entry.additional_data["page"] for entry in entries] == [f"GET {page}" for page in pages]
    for entry in entries:
        assert (entry.action, entry.actor, entry.actor_email) == (LogEntry.Action.ACCESS, operator, operator.email)
        assert entry.timestamp.isoformat() == "2026-12-02T08:15:00+00:00"
        assert entry.object_repr == str(customer_account)


def test_nothing_is_recorded_for_the_customer_a_404_or_a_staff_members_own_account(client, customer_account):
    client.force_login(customer_account.links.get().user)
    assert client.get(reverse("account_detail", args=["1000100001"])).status_code == 200
    operator = staff_in_role(CONTACT_CENTRE)
    own = AccountLinkFactory(user=operator, account__number="3000300003").account
    client.force_login(operator)
    assert client.get(reverse("account_detail", args=["3000300003"])).status_code == 200
    assert client.get(reverse("account_detail", args=["9999999999"])).status_code == 404
    assert staff_entries() == []
    assert own.pk  # the operator's own account page was seen, not recorded


def test_a_staff_member_without_the_role_is_refused_and_the_attempt_shows_nothing(client, customer_account):
    client.force_login(staff_in_role(BILLING_STAFF))
    response = client.get(reverse("account_detail", args=["1000100001"]))
    assert response.status_code == 404 and "вул. Моя" not in page_text(response)
    assert staff_entries() == []


@time_machine.travel("2026-12-02 11:00 +0200", tick=False)
def test_a_reviewers_decision_is_a_recorded_staff_action_and_others_may_not_decide(client, customer_account):
    meter = customer_account.meters.get()
    pending = ReadingFactory(meter=meter, total=99999, reading_date=datetime.date(2026, 12, 1), status="pending_review")
    review = f"/en/admin/readings/reading/review/{pending.pk}/"
    client.force_login(staff_in_role(CONTACT_CENTRE))
    assert client.post(review, {"decision": "accept", "reason": ""}).status_code == 403
    assert Reading.objects.get(pk=pending.pk).status == "pending_review"

    reviewer = staff_in_role(READING_REVIEWERS, email="reviewer@example.com")
    client.force_login(reviewer)
    response = client.post(review, {"decision": "reject", "reason": "The photo shows 12 000."})
    assert response.status_code == 302
    assert Reading.objects.get(pk=pending.pk).status == "rejected"
    refused, done = staff_entries(content_type__model="reading", object_pk=str(pending.pk))
    assert refused.additional_data == {"page": f"POST {review}", "status": 403, "by": "staff"}
    assert done.additional_data == {"page": f"POST {review}", "status": 302, "by": "staff"}
    assert (done.action, done.actor) == (LogEntry.Action.ACCESS, reviewer)


def test_an_admin_change_of_an_account_and_a_bulk_action_are_recorded(client, customer_account, admin_user):
    client.force_login(admin_user)
    change = f"/en/admin/accounts/personalaccount/{customer_account.pk}/change/"
    assert client.get(change).status_code == 200
    other = PersonalAccount.objects.create(number="2000200002", district=customer_account.district, address="x")
    client.post(
        "/en/admin/accounts/personalaccount/",
        {"action": "delete_selected", "_selected_action": [str(customer_account.pk), str(other.pk)]},
    )
    viewed = staff_entries(customer_account, additional_data__page__startswith="GET")
    assert [entry.additional_data["page"] for entry in viewed] == [f"GET {change}"]
    acted = staff_entries(additional_data__page__startswith="POST", content_type__model="personalaccount")
    assert sorted(entry.object_pk for entry in acted) == sorted([str(customer_account.pk), str(other.pk)])


def test_the_audit_log_is_listed_in_the_admin_with_who_and_what(client, customer_account, admin_user):
    operator = staff_in_role(CONTACT_CENTRE, email="operator@example.com")
    client.force_login(operator)
    client.get(reverse("account_detail", args=["1000100001"]))
    client.force_login(admin_user)
    response = client.get("/en/admin/auditlog/logentry/")
    assert response.status_code == 200
    text = page_text(response)
    assert "operator@example.com" in text and str(customer_account) in text
    entry = staff_entries(customer_account)[0]
    detail = page_text(client.get(f"/en/admin/auditlog/logentry/{entry.pk}/change/"))
    assert "/cabinet/accounts/1000100001/" in detail


def test_a_plain_staff_member_is_not_a_customer_viewer():
    assert not UserFactory(is_staff=True).has_perm("accounts.view_customer_cabinet")


def test_starting_a_billing_pass_and_building_print_batches_need_the_billing_role(client):
    """`is_staff` opens the admin; the actions that bill or print need the role that does them."""
    start_form = {"month": "2026-11-01", "pass_name": "actual", "run_date": "2026-12-03"}
    actions = [
        ("/en/admin/billing/billingrun/start/", start_form),
        ("/en/admin/billing/printbatch/build/", {}),
    ]
    client.force_login(staff_in_role(CONTACT_CENTRE))
    for url, form in actions:
        assert client.post(url, form).status_code == 403, url
    assert client.get(actions[0][0]).status_code == 403
    client.force_login(staff_in_role(BILLING_STAFF, email="billing@example.com"))
    assert client.get(actions[0][0]).status_code == 200
    assert client.post(actions[1][0], {}).status_code == 302
