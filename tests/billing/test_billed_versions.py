"""Tariff and norm versions a charge used never change: not in the admin, not by import_tariffs/import_norms
(issue 13). Re-importing an identical file is a no-op; a new version from a later date is the way."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Norm, Tariff
from tests.factories import ChargeFactory, PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TARIFFS = "category,effective_from,zone,price\nhousehold,2026-01-01,total,4.32\nhousehold,2027-01-01,total,4.80\n"
NORMS = "category,effective_from,kwh_per_resident\nhousehold,2026-01-01,65\nhousehold,2027-01-01,70\n"


@pytest.fixture
def billed_october(tmp_path):
    """The 2026 versions (4.32 UAH/kWh, 65 kWh) priced October 2026's norm charge; the 2027 ones nothing yet."""
    for name, text, command in (("t.csv", TARIFFS, "import_tariffs"), ("n.csv", NORMS, "import_norms")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        call_command(command, str(tmp_path / name))
    account = PersonalAccountFactory(residents=2, category="household")
    ChargeFactory(meter__account=account, account=account, basis="norm", volume_kwh=130, price=Decimal("4.32"))
    return tmp_path


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_reimporting_an_identical_file_changes_nothing(billed_october, capsys):
    capsys.readouterr()
    entries = LogEntry.objects.count()
    call_command("import_tariffs", str(billed_october / "t.csv"))
    call_command("import_norms", str(billed_october / "n.csv"))
    out = capsys.readouterr().out
    assert out.count("Imported: 0 new, 0 updated, 2 unchanged.") == 2
    assert LogEntry.objects.count() == entries  # nothing was saved, so nothing was logged


def test_a_changed_price_of_a_billed_version_is_refused_naming_the_line(billed_october, capsys):
    path = billed_october / "t2.csv"
    path.write_text(
        "category,effective_from,zone,price\nhousehold,2026-01-01,total,4.50\nhousehold,2027-01-01,total,4.90\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_tariffs", str(path))
    err = capsys.readouterr().err
    assert (
        "line 2, price: household 2026-01-01 total 4.32000 has been billed at 4.32000; a billed version never "
        "changes (import a new version from a later effective_from) [billed_version]" in err
    )
    assert "line 3" not in err  # the 2027 version has not been billed: changing it would be allowed
    assert sorted(Tariff.objects.values_list("price", flat=True)) == [Decimal("4.32000"), Decimal("4.80000")]


def test_a_changed_norm_of_a_billed_version_is_refused_and_an_unbilled_one_updates(billed_october, capsys):
    path = billed_october / "n2.csv"
    path.write_text("category,effective_from,kwh_per_resident\nhousehold,2026-01-01,60\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_norms", str(path))
    assert "line 2, kwh_per_resident: household 2026-01-01 65.00 has been billed at 65.00" in capsys.readouterr().err
    path.write_text("category,effective_from,kwh_per_resident\nhousehold,2027-01-01,72\n", encoding="utf-8")
    call_command("import_norms", str(path))
    assert "0 new, 1 updated, 0 unchanged" in capsys.readouterr().out
    assert Norm.objects.get(effective_from=D(2027, 1, 1)).kwh_per_resident == Decimal("72.00")


def test_the_admin_shows_a_billed_version_read_only_and_refuses_to_change_or_delete_it(billed_october, staff):
    billed = Tariff.objects.get(effective_from=D(2026, 1, 1))
    page = staff.get(f"/en/admin/billing/tariff/{billed.pk}/change/").content.decode()
    assert "Charges have been calculated with this version, so it cannot be changed or deleted." in page
    assert 'name="_save"' not in page
    form = {"category": "household", "effective_from": "2026-01-01", "zone": "total", "price": "4.50"}
    assert staff.post(f"/en/admin/billing/tariff/{billed.pk}/change/", form).status_code == 403
    assert staff.post(f"/en/admin/billing/tariff/{billed.pk}/delete/", {"post": "yes"}).status_code == 403
    billed.refresh_from_db()
    assert billed.price == Decimal("4.32000")
    norm = Norm.objects.get(effective_from=D(2026, 1, 1))
    assert staff.post(f"/en/admin/billing/norm/{norm.pk}/delete/", {"post": "yes"}).status_code == 403
    uk = staff.get(f"/admin/billing/norm/{norm.pk}/change/").content.decode()
    assert "За цією версією вже нараховано" in uk


def test_the_admin_changes_a_version_nothing_has_used_and_logs_it(billed_october, staff):
    future = Tariff.objects.get(effective_from=D(2027, 1, 1))
    form = {"category": "household", "effective_from": "2027-01-01", "zone": "total", "price": "4.90"}
    assert staff.post(f"/en/admin/billing/tariff/{future.pk}/change/", form).status_code == 302
    future.refresh_from_db()
    assert future.price == Decimal("4.90")
    change = LogEntry.objects.get_for_object(future).get(action=LogEntry.Action.UPDATE)
    assert change.changes_dict == {"price": ["4.80000", "4.90"]}
