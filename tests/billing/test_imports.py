"""import_tariffs and import_norms: the DESIGN.md formats, every bad line named, all or nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Norm, Tariff

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_tariffs_import_and_reimport_updates_in_place(tmp_path, capsys):
    path = write(
        tmp_path,
        "t.csv",
        "category,effective_from,zone,price\nhousehold,2026-01-01,day,4.32\nhousehold,2026-01-01,night,2.16\n",
    )
    call_command("import_tariffs", path)
    assert "2 new, 0 updated" in capsys.readouterr().out
    write(tmp_path, "t.csv", "category,effective_from,zone,price\nhousehold,2026-01-01,day,4.50000\n")
    call_command("import_tariffs", path)
    assert Tariff.objects.get(zone="day").price == Decimal("4.50000")
    assert Tariff.objects.count() == 2


def test_a_bad_tariff_file_changes_nothing_and_names_every_bad_line(tmp_path, capsys):
    path = write(
        tmp_path,
        "t.csv",
        "category,effective_from,zone,price\nhousehold,2026-01-01,day,4.32\nHousehold,2026-13-01,noon,-1\n"
        "household,2026-01-01,day,4.123456\nhousehold,2026-01-01,day,4.32\n",
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_tariffs", path)
    err = capsys.readouterr().err
    assert (
        "line 3, category:" in err
        and "line 3, effective_from:" in err
        and "line 3, zone:" in err
        and "line 3, price:" in err
    )
    assert "line 4, price: '4.123456' is not a positive number with at most 5 decimal places" in err
    assert "line 5, zone: this version is already on line 2 [duplicate_in_file]" in err
    assert not Tariff.objects.exists()


def test_norms_import(tmp_path):
    path = write(
        tmp_path, "n.csv", "category,effective_from,kwh_per_resident\nhousehold,2026-01-01,65\nrural,2026-01-01,72.5\n"
    )
    call_command("import_norms", path)
    assert Norm.objects.get(category="rural").kwh_per_resident == Decimal("72.50")
    assert Norm.objects.get(category="household").effective_from == date(2026, 1, 1)


def test_wrong_header_is_refused(tmp_path, capsys):
    path = write(tmp_path, "n.csv", "category,from,kwh\nhousehold,2026-01-01,65\n")
    with pytest.raises(CommandError):
        call_command("import_norms", path)
    assert "line 1" in capsys.readouterr().err
