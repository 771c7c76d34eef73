"""The portal's one audit log: every change to prices, norms, meters and accounts, with who and when."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.management import call_command

from billing.models import Norm, Tariff
from tests.factories import MeterFactory, PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def operator_client(client):
    operator = UserFactory(is_staff=True, is_superuser=True, email="operator@example.com")
    client.force_login(operator)
    return client


def tariff_form(tariff, price):
    return {
        "category": tariff.category,
        "effective_from": tariff.effective_from.isoformat(),
        "zone": tariff.zone,
        "price": price,
    }


@time_machine.travel(NOW, tick=False)
def test_a_price_changed_in_the_admin_is_in_the_tariff_versions_history_with_who_and_when(operator_client):
    tariff = Tariff.objects.create(
        category="household", effective_from=datetime.date(2026, 1, 1), zone="day", price=Decimal("4.32")
    )
    response = operator_client.post(f"/en/admin/billing/tariff/{tariff.pk}/change/", tariff_form(tariff, "4.50"))
    assert response.status_code == 302

    entry = LogEntry.objects.get_for_object(tariff).get(action=LogEntry.Action.UPDATE)
    assert entry.actor.email == "operator@example.com"
    assert entry.timestamp == NOW
    assert entry.changes_dict == {"price": ["4.32000", "4.50"]}

    # The change page's "History" button shows the same log, in the staff member's language.
    page = operator_client.get(f"/en/admin/billing/tariff/{tariff.pk}/history/").content.decode()
    assert "operator@example.com" in page and "4.32000" in page and "4.50" in page
    page_uk = operator_client.get(f"/admin/billing/tariff/{tariff.pk}/history/").content.decode()
    assert "Журнал змін" in page_uk


def test_imported_prices_and_norms_are_logged_with_the_command_and_file_as_source(tmp_path):
    tariffs = tmp_path / "tariffs.csv"
    tariffs.write_text("category,effective_from,zone,price\nhousehold,2026-01-01,total,4.32\n", encoding="utf-8")
    norms = tmp_path / "norms.csv"
    norms.write_text("category,effective_from,kwh_per_resident\nhousehold,2026-01-01,65\n", encoding="utf-8")
    call_command("import_tariffs", str(tariffs))
    call_command("import_norms", str(norms))

    tariff_entry = LogEntry.objects.get_for_object(Tariff.objects.get()).get()
    assert tariff_entry.action == LogEntry.Action.CREATE and tariff_entry.actor is None
    assert tariff_entry.additional_data == {"source": f"import_tariffs {tariffs}"}
    assert tariff_entry.changes_dict["price"] == ["None", "4.32"]
    norm_entry = LogEntry.objects.get_for_object(Norm.objects.get()).get()
    assert norm_entry.additional_data == {"source": f"import_norms {norms}"}
    assert norm_entry.changes_dict["kwh_per_resident"] == ["None", "65"]


def test_changes_to_meters_and_accounts_are_logged_but_not_the_accounts_update_stamp(operator_client):
    account = PersonalAccountFactory(residents=2)
    meter = MeterFactory(account=account, multiplier=1)
    account.residents = 3
    account.save()
    meter.multiplier = 30
    meter.save()

    account_change = LogEntry.objects.get_for_object(account).get(action=LogEntry.Action.UPDATE)
    assert account_change.changes_dict == {"residents": ["2", "3"]}
    meter_change = LogEntry.objects.get_for_object(meter).get(action=LogEntry.Action.UPDATE)
    assert meter_change.changes_dict == {"multiplier": ["1", "30"]}
    assert operator_client.get(f"/en/admin/readings/meter/{meter.pk}/history/").status_code == 200
    assert operator_client.get(f"/en/admin/accounts/personalaccount/{account.pk}/history/").status_code == 200
