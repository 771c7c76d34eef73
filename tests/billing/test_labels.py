"""A charge line's basis and zone have one set of words in each language: the model fields' choices (admin
forms, `get_..._display`) say what invoices and staff pages say."""

import pytest
from django.utils import translation

from billing.models import Basis, Charge, Tariff
from billing.models.charges import basis_title
from readings.models import ZONE_TITLES
from readings.zones import ALL_ZONES


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
@pytest.mark.parametrize("basis", Basis.values)
def test_the_basis_field_says_what_the_invoice_says(language, basis):
    with translation.override(language):
        assert Charge(basis=basis).get_basis_display() == basis_title(basis)


def test_a_basis_in_ukrainian():
    with translation.override("uk"):
        assert Charge(basis=Basis.AVERAGE).get_basis_display() == "за середнім споживанням"
        assert basis_title(Basis.AVERAGE, 2) != basis_title(Basis.AVERAGE)  # the estimate's number is added


@pytest.mark.parametrize("language", ["uk", "ru", "en"])
@pytest.mark.parametrize("zone", ALL_ZONES)
def test_the_zone_fields_say_the_zone_titles(language, zone):
    with translation.override(language):
        assert Charge(zone=zone).get_zone_display() == str(ZONE_TITLES[zone])
        assert Tariff(zone=zone).get_zone_display() == str(ZONE_TITLES[zone])


def test_a_zone_in_ukrainian_is_a_word_not_its_code():
    with translation.override("uk"):
        assert Tariff(zone="half_peak").get_zone_display() == str(ZONE_TITLES["half_peak"]) != "half_peak"
