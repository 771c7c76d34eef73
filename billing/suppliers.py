"""The supplier's payment details: read per district from the environment, and checked before use.

A wrong IBAN or code in an invoice's QR sends customers' money nowhere (or to the demo supplier), so the
details are checked when the process starts (production refuses to start, `portal/settings/production.py`)
and by `check --deploy` (demo values are named as warnings, `portal/checks.py`). Checksums come from
python-stdnum: IBAN (ISO 7064 mod 97-10), EDRPOU and RNOKPP (Ukraine), INN (Russia); the Russian
settlement account's control key against the BIC is the Central Bank's rule, written out below.

No Django import: the settings modules call this before Django is configured.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields

from stdnum import iban as iban_number
from stdnum.ru import inn
from stdnum.ua import edrpou, rntrc

# The NBU format 002 receiver field holds 70 characters; a longer name is refused, never cut, because
# the printed name must match the QR's. GOST R 56042-2014 allows 160.
NAME_MAX = {"UAH": 70, "RUB": 160}
FIELDS = ("legal_name", "code", "iban", "bank", "address", "phone", "bic", "corresp_account", "kpp")
RUB_ONLY = ("bic", "corresp_account", "kpp")

# The local defaults: a real-looking supplier so that a demo prints a QR a bank app can read. A
# production setting holding one of these values is a mistake that `check --deploy` names.
DEMO = {
    "legal_name": 'ТОВ "Енергозбут-Демо"',
    "code": "43123452",
    "iban": "UA193000010000026009876543210",
    "bank": 'АТ "Демо Банк"',
    "address": "вул. Демонстраційна, 1, Київ, 01001",
    "phone": "0 800 000 000",
    "bic": "",
    "corresp_account": "",
    "kpp": "",
}


@dataclass(frozen=True)
class Supplier:
    """Who an invoice asks to be paid: printed on it and encoded in its payment QR."""

    legal_name: str
    code: str  # EDRPOU or RNOKPP (UAH), INN (RUB)
    iban: str  # the IBAN (UAH) or the 20-digit settlement account (RUB)
    bank: str
    address: str
    phone: str
    bic: str = ""  # RUB only
    corresp_account: str = ""  # RUB only
    kpp: str = ""  # RUB only


def setting_name(district: str, field: str) -> str:
    """`SUPPLIER_IBAN` for the default supplier, `SUPPLIER_DEK_IBAN` for district DEK's own."""
    field_name = "LEGAL_NAME" if field == "legal_name" else field.upper()
    return f"SUPPLIER_{district}_{field_name}" if district else f"SUPPLIER_{field_name}"


def default_supplier_values(environ: Mapping[str, str], *, demo: bool) -> dict[str, str]:
    """The default supplier's details (`SUPPLIER_IBAN`, ...); with `demo` (local runs) unset ones are the demo's."""
    return {
        field: environ.get(setting_name("", field), "").strip() or (DEMO[field] if demo else "") for field in FIELDS
    }


def district_supplier_values(environ: Mapping[str, str], districts: list[str]) -> dict[str, dict[str, str]]:
    """{"DEK": {...}} for the districts listed in SUPPLIER_DISTRICTS, from `SUPPLIER_DEK_IBAN` and the like.

    A district's own supplier never falls back to the default's values: half of DEK's details and half
    of Kyiv's would pay nobody. Missing ones are reported by `supplier_problems`.
    """
    return {
        district: {field: environ.get(setting_name(district, field), "").strip() for field in FIELDS}
        for district in districts
    }


def supplier_problems(values: Mapping[str, str], *, district: str, currency: str) -> list[tuple[str, str]]:
    """(setting name, what is wrong) for every detail that is missing or fails its rule."""
    problems = []

    def problem(field: str, text: str) -> None:
        problems.append((setting_name(district, field), text))

    required = [field for field in FIELDS if field not in RUB_ONLY or currency == "RUB"]
    for field in required:
        if not values.get(field, "").strip():
            problem(field, "is not set")
    name, code = values.get("legal_name", ""), re.sub(r"\s", "", values.get("code", ""))
    account = re.sub(r"\s", "", values.get("iban", ""))
    if name and len(name) > NAME_MAX.get(currency, 70):
        problem("legal_name", f"has {len(name)} characters; the payment QR holds {NAME_MAX.get(currency, 70)}")
    if currency == "RUB":
        bic, corresp, kpp = (re.sub(r"\s", "", values.get(field, "")) for field in RUB_ONLY)
        if code and not inn.is_valid(code):
            problem("code", "is not a valid INN (10 or 12 digits with their check digits)")
        if kpp and not re.fullmatch(r"\d{9}", kpp):
            problem("kpp", "must be 9 digits")
        if bic and not re.fullmatch(r"\d{9}", bic):
            problem("bic", "must be 9 digits")
        elif bic:
            if account and not rub_account_key_valid(account, bic):
                problem("iban", "is not a 20-digit account whose control key matches SUPPLIER_BIC")
            if corresp and not rub_account_key_valid(corresp, bic, correspondent=True):
                problem("corresp_account", "is not a 20-digit account whose control key matches SUPPLIER_BIC")
    else:
        if code and not (edrpou.is_valid(code) if len(code) == 8 else rntrc.is_valid(code)):
            problem("code", "is not a valid EDRPOU (8 digits) or RNOKPP (10 digits): check digit wrong")
        if account and not (account.upper().startswith("UA") and iban_number.is_valid(account)):
            problem("iban", "is not a valid Ukrainian IBAN (UA + 27 digits, mod-97 check)")
    return problems


def rub_account_key_valid(account: str, bic: str, *, correspondent: bool = False) -> bool:
    """The Bank of Russia's control key (Regulation 579-P): weights 7-1-3 over BIC digits + account.

    A settlement account is checked with the BIC's last three digits; a correspondent account with "0"
    and the BIC's 5th and 6th digits. The sum of the products' last digits must end in 0.
    """
    if not (re.fullmatch(r"\d{20}", account) and re.fullmatch(r"\d{9}", bic)):
        return False
    prefix = "0" + bic[4:6] if correspondent else bic[-3:]
    digits = prefix + account
    weights = ((7, 1, 3) * 8)[: len(digits)]
    return sum(int(digit) * weight % 10 for digit, weight in zip(digits, weights, strict=True)) % 10 == 0


def demo_values_in(values: Mapping[str, str], *, district: str) -> list[str]:
    """Setting names whose value is the demo supplier's (empty RUB-only values are not demo values)."""
    return [setting_name(district, field) for field in FIELDS if DEMO[field] and values.get(field) == DEMO[field]]


def supplier_of(values: Mapping[str, str]) -> Supplier:
    return Supplier(**{field.name: values.get(field.name, "") for field in fields(Supplier)})
