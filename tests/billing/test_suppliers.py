"""The supplier's payment details: checked by their rules, per district, and printed per district."""

import base64
import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from billing.invoices.texts import payment_purpose
from billing.models import Invoice
from billing.run.services import run_in_process, run_start
from billing.suppliers import DEMO, demo_values_in, rub_account_key_valid, supplier_problems
from readings.zones import TWO_ZONE
from tests.billing.helpers import read_two_zone as read
from tests.factories import DistrictFactory, MeterFactory, PersonalAccountFactory

KYIV_SUPPLIER = dict(DEMO)
DEK_SUPPLIER = {
    "legal_name": 'ТОВ "ДЕК Енергозбут"',
    "code": "40000006",
    "iban": "UA223052990000026001234567890",
    "bank": 'АТ "Тестовий Банк"',
    "address": "вул. Набережна, 5, Дніпро",
    "phone": "0 800 500 444",
    "bic": "",
    "corresp_account": "",
    "kpp": "",
}
OCTOBER = datetime.date(2026, 10, 1)
RUB_SUPPLIER = {  # STACK.md's GOST test vector: every checksum valid
    "legal_name": 'ООО "Энергосбыт-Тест"',
    "code": "7709123453",
    "iban": "40702810938000012345",
    "bank": "ПАО СБЕРБАНК",
    "address": "ул. Тестовая, 1, Москва",
    "phone": "8 800 000 00 00",
    "bic": "044525225",
    "corresp_account": "30101810400000000225",
    "kpp": "770901001",
}


def test_the_demo_and_a_real_looking_supplier_pass_every_rule():
    assert supplier_problems(KYIV_SUPPLIER, district="", currency="UAH") == []
    assert supplier_problems(DEK_SUPPLIER, district="DEK", currency="UAH") == []
    assert supplier_problems(RUB_SUPPLIER, district="", currency="RUB") == []


@pytest.mark.parametrize(
    ("field", "value", "setting", "rule"),
    [
        ("iban", "UA193000010000026009876543211", "SUPPLIER_IBAN", "mod-97"),  # last digit typed wrong
        ("iban", "DE89370400440532013000", "SUPPLIER_IBAN", "Ukrainian IBAN"),  # valid, but German
        ("code", "43123453", "SUPPLIER_CODE", "EDRPOU"),
        ("code", "1234567890", "SUPPLIER_CODE", "RNOKPP"),
        ("legal_name", "Т" * 71, "SUPPLIER_LEGAL_NAME", "has 71 characters; the payment QR holds 70"),
        ("bank", "", "SUPPLIER_BANK", "is not set"),
        ("phone", " ", "SUPPLIER_PHONE", "is not set"),
    ],
)
def test_each_broken_uah_detail_is_named_with_its_rule(field, value, setting, rule):
    problems = supplier_problems({**KYIV_SUPPLIER, field: value}, district="", currency="UAH")
    assert len(problems) == 1 and problems[0][0] == setting and rule in problems[0][1], problems


def test_a_70_character_name_is_accepted_whole():
    name = "Т" * 70
    assert supplier_problems({**KYIV_SUPPLIER, "legal_name": name}, district="", currency="UAH") == []


@pytest.mark.parametrize(
    ("field", "value", "setting"),
    [
        ("iban", "40702810938000012346", "SUPPLIER_IBAN"),  # control key no longer matches the BIC
        ("corresp_account", "30101810400000000226", "SUPPLIER_CORRESP_ACCOUNT"),
        ("code", "7709123454", "SUPPLIER_CODE"),  # INN check digit
        ("kpp", "77090100", "SUPPLIER_KPP"),
        ("bic", "", "SUPPLIER_BIC"),
    ],
)
def test_each_broken_rub_detail_is_named(field, value, setting):
    problems = supplier_problems({**RUB_SUPPLIER, field: value}, district="", currency="RUB")
    assert setting in [name for name, _ in problems], problems


def test_the_rub_control_key_is_checked_against_the_bic():
    assert rub_account_key_valid("40702810938000012345", "044525225")
    assert not rub_account_key_valid("40702810938000012345", "044525226")  # the same account at another bank
    assert rub_account_key_valid("30101810400000000225", "044525225", correspondent=True)
    assert not rub_account_key_valid("4070281093800001234", "044525225")  # 19 digits


def test_a_district_supplier_names_its_own_settings_and_never_borrows_the_default():
    problems = supplier_problems({**DEK_SUPPLIER, "iban": ""}, district="DEK", currency="UAH")
    assert problems == [("SUPPLIER_DEK_IBAN", "is not set")]
    assert demo_values_in({**DEK_SUPPLIER, "iban": DEMO["iban"]}, district="DEK") == ["SUPPLIER_DEK_IBAN"]


def test_the_purpose_is_in_the_suppliers_language():
    may = datetime.date(2026, 5, 1)
    assert payment_purpose(account_number="1234567890", month=may) == (
        "Оплата за електроенергію, о/р 1234567890, травень 2026"
    )
    assert payment_purpose(account_number="1234567890", month=may, currency="RUB") == (
        "Оплата электроэнергии за май 2026, л/с 1234567890"
    )


@pytest.mark.django_db
@override_settings(DISTRICT_SUPPLIERS={"DEK": DEK_SUPPLIER})
def test_a_dek_invoice_carries_deks_details_and_a_kyiv_invoice_the_default_ones(prices, kyiv):
    dek = DistrictFactory(code="DEK", name="ДЕК")  # Kyiv's reading window, so one pass invoices both
    accounts = []
    for district, number in ((kyiv, "1000000001"), (dek, "2000000001")):
        account = PersonalAccountFactory(district=district, number=number, residents=3, invoice_mode="supplier")
        meter = MeterFactory(
            account=account,
            zone_set=TWO_ZONE,
            installed_on=datetime.date(2026, 1, 15),
            install_day=27000,
            install_night=13500,
        )
        read(meter, datetime.date(2026, 10, 30), 27893, 13914)
        accounts.append(account)
    now = timezone.make_aware(datetime.datetime(2026, 11, 3, 2, 0))
    run = run_start(month=OCTOBER, pass_name="actual", run_date=datetime.date(2026, 11, 3), now=now, chunk_size=2)
    run_in_process(run=run)  # the pass charges October and issues the supplier-mode invoices
    kyiv_invoice, dek_invoice = (Invoice.objects.get(account=account) for account in accounts)
    assert dek_invoice.supplier["name"] == 'ТОВ "ДЕК Енергозбут"'
    assert dek_invoice.supplier["iban"] == "UA223052990000026001234567890"
    assert kyiv_invoice.supplier["iban"] == DEMO["iban"]
    for invoice, iban in ((kyiv_invoice, DEMO["iban"]), (dek_invoice, DEK_SUPPLIER["iban"])):
        encoded = invoice.qr_data.removeprefix("https://bank.gov.ua/qr/")
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("cp1251").split("\n")
        assert payload[6] == iban and payload[8] == invoice.supplier["code"]
