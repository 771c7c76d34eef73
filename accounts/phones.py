"""Phone numbers as people type them and gateways send them, reduced to one stored form (E.164).

`+380501234567`, `380501234567` and `0501234567` are one Ukrainian phone; `+79244114455`,
`79244114455` and `89244114455` one Russian phone. Parsing follows Google's libphonenumber (the
`phonenumbers` package) with the district's country as the default region, so a national spelling
is read the way that country dials it. No Django import: the SMS channel, the admin form and the
data migration call the same two functions.
"""

import re

import phonenumbers

DEFAULT_REGION = "UA"
_NOT_DIAL = re.compile(r"[^\d+]")


def phone_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of a valid number typed in `region`'s national or any international spelling."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw, (region or DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_candidates(raw: str, regions) -> list[str]:
    """Every E.164 number a sender's spelling can be, most likely first: as dialled in each region the
    portal serves, then as an international number whose `+` the gateway left out (`79244114455`)."""
    if not isinstance(raw, str):
        return []
    dial = _NOT_DIAL.sub("", raw.strip())[:20]
    spellings = [(dial, region) for region in regions or [DEFAULT_REGION]]
    if dial and not dial.startswith("+"):
        spellings.append(("+" + dial, DEFAULT_REGION))
    found: list[str] = []
    for spelling, region in spellings:
        number = phone_e164(spelling, region)
        if number and number not in found:
            found.append(number)
    return found
