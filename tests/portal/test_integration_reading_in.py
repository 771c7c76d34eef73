"""The integration API's submission body checked by hand (portal.api.serializers.integration_reading_in):
the same validated data as IntegrationReadingInSerializer for every body, and the serializer's own errors."""

from datetime import date

import pytest
from rest_framework.exceptions import ValidationError

from portal.api.serializers import IntegrationReadingInSerializer, integration_reading_in

BASE = {"account_number": "1000000001", "meter_serial": "SN-001", "values": {"day": 12345, "night": 6789}}

BODIES = [
    BASE,
    {**BASE, "reading_date": "2026-11-30"},
    {**BASE, "reading_date": "2026-11-30", "swap_confirmed": True},
    {**BASE, "swap_confirmed": False},
    {**BASE, "swap_confirmed": None},
    {**BASE, "values": {"total": 0}},
    {**BASE, "values": {"peak": 10**9}},
    {**BASE, "extra": "ignored"},
    # Everything below goes to the serializer (the hand check does not take it); same answer either way.
    {**BASE, "account_number": " 1000000001 "},
    {**BASE, "account_number": 1000000001},
    {**BASE, "account_number": ""},
    {**BASE, "account_number": "1" * 41},
    {**BASE, "account_number": "10\x0001"},
    {**BASE, "meter_serial": None},
    {**BASE, "values": {}},
    {**BASE, "values": []},
    {**BASE, "values": {"day": -1}},
    {**BASE, "values": {"day": 10**9 + 1}},
    {**BASE, "values": {"day": True}},
    {**BASE, "values": {"day": "12345"}},
    {**BASE, "values": {"day": 12.0}},
    {**BASE, "values": {"dawn": 1}},
    {**BASE, "reading_date": "20261130"},
    {**BASE, "reading_date": "2026-02-30"},
    {**BASE, "reading_date": None},
    {**BASE, "reading_date": 20261130},
    {**BASE, "swap_confirmed": "true"},
    {**BASE, "swap_confirmed": 1},
    {**BASE, "swap_confirmed": "maybe"},
    {"values": {"day": 1}},
    [],
    "text",
]


def _serializer(body):
    serializer = IntegrationReadingInSerializer(data=body)
    if serializer.is_valid():
        return "valid", dict(serializer.validated_data)
    return "invalid", serializer.errors


def _hand(body):
    try:
        return "valid", dict(integration_reading_in(body))
    except ValidationError as error:
        return "invalid", error.detail


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_the_hand_check_gives_the_serializers_answer(body):
    assert _hand(body) == _serializer(body)


def test_a_well_formed_body_is_read_to_the_values_the_submission_uses():
    assert integration_reading_in({**BASE, "reading_date": "2026-11-30", "swap_confirmed": True}) == {
        "account_number": "1000000001",
        "meter_serial": "SN-001",
        "values": {"day": 12345, "night": 6789},
        "reading_date": date(2026, 11, 30),
        "swap_confirmed": True,
    }


def test_an_error_names_the_field_and_the_rule_as_the_serializer_does():
    with pytest.raises(ValidationError) as error:
        integration_reading_in({**BASE, "values": {"day": -5}})
    assert error.value.detail["values"]["day"][0].code == "min_value"
