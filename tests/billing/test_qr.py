"""Payment QR codes: the STACK.md test vectors, field rules (billing/qr/payloads.py), and decoding what
billing/qr/image.py draws.

Both modules are pure; the decoding tests run the real scanners a bank app would stand in for: segno's
PNG through Debian's `zbarimg`, and the SVG and the invoice's PNG through WeasyPrint, `pdftoppm` and
`zbarimg`.
"""

import base64
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import segno

from billing.qr.image import qr_code, qr_png, qr_svg
from billing.qr.payloads import (
    Payee,
    PaymentQr,
    gost_payload,
    nbu_payload_002,
    nbu_payload_003,
    nbu_url_002,
    nbu_url_003,
    payment_qr,
    payment_qr_maker,
    qr_payment_purpose,
)

ZBARIMG = shutil.which("zbarimg")
PDFTOPPM = shutil.which("pdftoppm")
ZBAR_QR_ONLY = ["--raw", "-q", "--nodbus", "-Sdisable", "-Sqrcode.enable", "-Sbinary"]
needs_zbarimg = pytest.mark.skipif(ZBARIMG is None, reason="zbarimg missing: apt-get install zbar-tools")

UAH_PAYEE = Payee(name='ТОВ "Енергозбут-Тест"', code="43123452", iban="UA193000010000026009876543210", bank="АТ Банк")
UAH_PURPOSE = "Оплата за електроенергію, о/р 1234567890, травень 2026"
# STACK.md, "Payment QR codes on invoices": the format 002 test vector.
NBU_002_PAYLOAD = (
    'BCD\n002\n2\nUCT\n\nТОВ "Енергозбут-Тест"\nUA193000010000026009876543210\nUAH1234.56\n43123452\n\n\n'
    "Оплата за електроенергію, о/р 1234567890, травень 2026\n"
)
NBU_002_URL = (
    "https://bank.gov.ua/qr/QkNECjAwMgoyClVDVAoK0s7CICLF7eXw4-7n4fPyLdLl8fIiClVBMTkzMDAwMDEwMDAwMDI2MDA5ODc2NTQzMjEw"
    "ClVBSDEyMzQuNTYKNDMxMjM0NTIKCgrO7-vg8uAg5-Ag5evl6vLw7uXt5fDjs_4sIO4v8CAxMjM0NTY3ODkwLCDy8ODi5e38IDIwMjYK"
)

RUB_PAYEE = Payee(
    name='ООО "Энергосбыт-Тест"',
    code="7709123453",
    iban="40702810938000012345",
    bank="ПАО СБЕРБАНК",
    bic="044525225",
    corresp_account="30101810400000000225",
    kpp="770901001",
)
RUB_PURPOSE = "Оплата электроэнергии за май 2026, л/с 1234567890"
# STACK.md: the GOST R 56042-2014 test vector (UTF-8).
GOST_TEXT = (
    'ST00012|Name=ООО "Энергосбыт-Тест"|PersonalAcc=40702810938000012345|BankName=ПАО СБЕРБАНК|BIC=044525225'
    "|CorrespAcc=30101810400000000225|PayeeINN=7709123453|KPP=770901001|Sum=123456"
    "|Purpose=Оплата электроэнергии за май 2026, л/с 1234567890|PersAcc=1234567890|PaymPeriod=052026|TechCode=02"
)


def nbu_002(**overrides) -> str:
    arguments = {"payee": UAH_PAYEE, "amount": Decimal("1234.56"), "purpose": UAH_PURPOSE} | overrides
    return nbu_payload_002(**arguments)


def gost(**overrides) -> str:
    arguments = {
        "payee": RUB_PAYEE,
        "amount": Decimal("1234.56"),
        "purpose": RUB_PURPOSE,
        "personal_account": "1234567890",
        "period": date(2026, 5, 1),
    } | overrides
    return gost_payload(**arguments)


def unpack_nbu_url(url: str, prefix: str) -> str:
    """What a bank app does: strip the prefix, re-pad the base64url, decode Windows-1251."""
    assert url.startswith(prefix)
    encoded = url.removeprefix(prefix)
    assert "=" not in encoded
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("cp1251")


def scan_png(data: str, tmp_path) -> bytes:
    """Render `data` as segno draws it and read it back with zbarimg, byte for byte (-Sbinary)."""
    png = tmp_path / "qr.png"
    qr_code(data).save(png, kind="png", scale=4)
    return scan_file(png)


def scan_file(image) -> bytes:
    """QR codes only, raw bytes: with every symbology on, zbar may also "find" a DataBar code in the
    modules of a large QR symbol and append its digits to the output."""
    result = subprocess.run([ZBARIMG, *ZBAR_QR_ONLY, str(image)], capture_output=True, check=True, timeout=60)
    return result.stdout


# --- The STACK.md vectors ---


def test_nbu_002_reproduces_the_stack_vector_byte_for_byte():
    payload = nbu_002()

    assert payload == NBU_002_PAYLOAD
    assert payload.endswith("\n")  # field 13 (display) is empty
    assert len(payload.split("\n")) == 13
    assert nbu_url_002(payload) == NBU_002_URL


def test_gost_reproduces_the_stack_vector():
    assert gost() == GOST_TEXT


# --- NBU fields ---


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("100"), "UAH100.00"),
        (100, "UAH100.00"),
        (Decimal("1234.5"), "UAH1234.50"),
        (Decimal("100.5"), "UAH100.50"),
        (Decimal("0.01"), "UAH0.01"),
        (Decimal("1E+2"), "UAH100.00"),
        (Decimal("999999999.99"), "UAH999999999.99"),
    ],
)
def test_nbu_amount_always_has_two_decimals(amount, expected):
    assert nbu_002(amount=amount).split("\n")[7] == expected


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (100.5, TypeError),
        (Decimal("1.005"), ValueError),  # billing rounds; the QR never rounds on its own
        (Decimal("0"), ValueError),
        (Decimal("-5.00"), ValueError),
        (Decimal("1000000000.00"), ValueError),
    ],
)
def test_nbu_refuses_amounts_it_cannot_show_exactly(amount, error):
    with pytest.raises(error):
        nbu_002(amount=amount)


def test_nbu_002_cuts_name_to_70_and_purpose_to_140_characters():
    payload = nbu_002(payee=replace(UAH_PAYEE, name="Ї" * 100), purpose="я" * 200)
    fields = payload.split("\n")

    assert fields[5] == "Ї" * 70
    assert fields[11] == "я" * 140
    assert len(fields) == 13


def test_nbu_replaces_what_windows_1251_cannot_carry_instead_of_failing():
    payload = nbu_002(purpose="Оплата ₴ 😀 обʼєкт\nрядок\tдва")
    fields = payload.split("\n")

    assert len(fields) == 13  # the newline did not shift the fields
    assert fields[11] == "Оплата ? ? об\u2019єкт рядок два"
    payload.encode("cp1251")  # strict: everything left is representable


@pytest.mark.parametrize(
    "iban",
    [
        "UA19300001000002600987654321",  # 28 characters
        "UA1930000100000260098765432100",  # 30 characters
        "DE89370400440532013000",  # a valid IBAN, but not Ukrainian
        "UA19300001000002600987654321X",
        "UA203000010000026009876543210",  # wrong check digits
        "",
    ],
)
def test_nbu_refuses_a_bad_iban(iban):
    with pytest.raises(ValueError, match="IBAN"):
        nbu_002(payee=replace(UAH_PAYEE, iban=iban))


def test_nbu_accepts_an_iban_written_in_groups():
    payee = replace(UAH_PAYEE, iban="ua19 3000 0100 0002 6009 8765 4321 0")

    assert nbu_002(payee=payee) == NBU_002_PAYLOAD


@pytest.mark.parametrize("code", ["4312345", "431234521", "ABCDEFGH", ""])
def test_nbu_refuses_a_bad_receiver_code(code):
    with pytest.raises(ValueError, match="EDRPOU"):
        nbu_002(payee=replace(UAH_PAYEE, code=code))


# --- NBU format 003 ---

ROZETKA = Payee(name="ТОВ «ФК „ЕВО“»", code="37193071", iban="UA673005280000026500504354077", bank="")


def test_nbu_003_matches_an_independently_computed_vector():
    """Golden vector of skules777/nbu-qr-code-kotlin (NBU rules' example 4 fields, Python cp1251 + base64).

    It writes the amount as UAH150; we always write two decimals, which item 4.8 also allows. Its
    dates, 12:00 Kyiv winter time, also check that UTC times are converted to Kyiv time.
    """
    kotlin_base64 = (
        "QkNECjAwMwoyCklDVAoK0s7CIKvUyiCExcLOk7sKVUE2NzMwMDUyODAwMDAwMjY1MDA1MDQzNTQwNzcKVUFIMTUwCjM3MTkzMDcxCk9USFIvR0REUwox"
        "MjI1MTAyNTc2Cj9NZXJjaGFudEJ1c2luZXNzTmFtZT0iUk9aRVRLQS5VQSIsIM_u6vPv6uAg8u7i4PCz4iwg5-Ds7uLr5e3t_yC5ODIxNTU4OTY1Lgo_"
        "PEluc3RyRm9yQ2R0ckFndD48SW5zdHJJbmY-TWVyY2hJRDowMTIzNC1UZXJtSWQ6NDMyMTA8L0luc3RySW5mPjwvSW5zdHJGb3JDZHRyQWd0PgpGRkZG"
        "CjI1MDMyMTEyMDAwMAoyNTAxMjkxMjAwMDAK"
    )
    expected = unpack_nbu_url("https://qr.bank.gov.ua/" + kotlin_base64, "https://qr.bank.gov.ua/")
    expected = expected.replace("\nUAH150\n", "\nUAH150.00\n")

    payload = nbu_payload_003(
        payee=ROZETKA,
        amount=Decimal("150"),
        purpose='?MerchantBusinessName="ROZETKA.UA", Покупка товарів, замовлення №821558965.',
        reference="1225102576",
        created=datetime(2025, 1, 29, 10, 0, tzinfo=UTC),
        valid_until=datetime(2025, 3, 21, 10, 0, tzinfo=UTC),
        category_purpose="OTHR/GDDS",
        display="?<InstrForCdtrAgt><InstrInf>MerchID:01234-TermId:43210</InstrInf></InstrForCdtrAgt>",
        lock_mask="FFFF",
        function="ICT",
    )

    assert payload == expected


def nbu_003(**overrides) -> str:
    arguments = {
        "payee": UAH_PAYEE,
        "amount": Decimal("1234.56"),
        "purpose": UAH_PURPOSE,
        "reference": "2026-05/000123",
        "created": datetime(2026, 6, 1, 6, 30, 15, tzinfo=UTC),
    } | overrides
    return nbu_payload_003(**arguments)


def test_nbu_003_defaults_for_an_invoice():
    fields = nbu_003().split("\n")

    assert len(fields) == 17
    assert fields[:4] == ["BCD", "003", "2", "UCT"]
    assert fields[9] == "SUPP/SUPP"
    assert fields[13] == "FEFF"  # only the amount may be changed
    assert fields[14] == ""  # no expiry unless asked
    assert fields[15] == "260601093015"  # 06:30:15 UTC is 09:30:15 in Kyiv (summer time)
    assert fields[16] == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"created": datetime(2026, 6, 1, 6, 30)}, "timezone-aware"),
        ({"reference": "X" * 36}, "reference"),
        ({"reference": "рахунок 1"}, "reference"),
        ({"category_purpose": ""}, "category"),
        ({"lock_mask": "feff"}, "lock mask"),
    ],
)
def test_nbu_003_refuses_bad_fields(overrides, message):
    with pytest.raises(ValueError, match=message):
        nbu_003(**overrides)


def test_nbu_003_url_refuses_data_beyond_475_bytes():
    assert nbu_url_003(nbu_003()).startswith("https://qr.bank.gov.ua/")
    with pytest.raises(ValueError, match="475"):
        nbu_url_003(nbu_003(purpose="я" * 400))


# --- GOST ---


def test_gost_replaces_the_separator_and_line_breaks_in_values():
    text = gost(purpose="Оплата | май\n2026", payee=replace(RUB_PAYEE, name="ООО |Ромашка|"))

    assert "|Purpose=Оплата май 2026|" in text
    assert "|Name=ООО Ромашка|" in text
    assert text.count("|") == GOST_TEXT.count("|")


def test_gost_cuts_long_text_and_omits_empty_optional_fields():
    payee = replace(RUB_PAYEE, kpp="", name="Щ" * 200)
    text = gost(purpose="ю" * 300, payee=payee, payer_address="г. Москва, ул. Тверская, 1")
    fields = dict(field.split("=", 1) for field in text.split("|")[1:])

    assert fields["Purpose"] == "ю" * 210
    assert fields["Name"] == "Щ" * 160
    assert "KPP" not in fields
    assert fields["PayerAddress"] == "г. Москва, ул. Тверская, 1"
    assert text.endswith("|TechCode=02")


@pytest.mark.parametrize(("amount", "kopecks"), [(Decimal("100"), "10000"), (Decimal("1234.5"), "123450"), (1, "100")])
def test_gost_sum_is_in_kopecks(amount, kopecks):
    assert f"|Sum={kopecks}|" in gost(amount=amount)


@pytest.mark.parametrize(
    ("payee", "message"),
    [
        (replace(RUB_PAYEE, iban="UA193000010000026009876543210"), "PersonalAcc"),
        (replace(RUB_PAYEE, bic="04452522"), "BIC"),
        (replace(RUB_PAYEE, corresp_account=""), "CorrespAcc"),
        (replace(RUB_PAYEE, code="77091234"), "PayeeINN"),
        (replace(RUB_PAYEE, kpp="77090100"), "KPP"),
    ],
)
def test_gost_refuses_bad_mandatory_details(payee, message):
    with pytest.raises(ValueError, match=message):
        gost(payee=payee)


# --- payment_qr ---


def invoice_qr(**overrides):
    arguments = {
        "currency": "UAH",
        "payee": UAH_PAYEE,
        "amount": Decimal("1234.56"),
        "purpose": UAH_PURPOSE,
        "personal_account": "1234567890",
        "period": date(2026, 5, 1),
    } | overrides
    return payment_qr(**arguments)


def test_payment_qr_chooses_the_standard_by_currency():
    assert invoice_qr() == PaymentQr(data=NBU_002_URL, payload=NBU_002_PAYLOAD)
    assert invoice_qr(currency="RUB", payee=RUB_PAYEE, purpose=RUB_PURPOSE) == (GOST_TEXT, GOST_TEXT)
    assert invoice_qr(currency="EUR") is None


def test_payment_qr_uses_format_003_when_the_setting_says_so():
    created = datetime(2026, 6, 1, 6, 30, 15, tzinfo=UTC)
    qr = invoice_qr(nbu_format="003", reference="2026-05/000123", created=created)

    assert qr.payload == nbu_003()
    assert qr.data == nbu_url_003(qr.payload)
    with pytest.raises(ValueError, match="created"):
        invoice_qr(nbu_format="003")
    with pytest.raises(ValueError, match="format"):
        invoice_qr(nbu_format="001")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("0.00"), Decimal("-12.30")])
def test_payment_qr_has_no_code_when_nothing_is_due(amount):
    assert invoice_qr(amount=amount) is None


# --- Decoding what we draw ---


@needs_zbarimg
def test_nbu_002_qr_decodes_back_to_the_payload(tmp_path):
    scanned = scan_png(NBU_002_URL, tmp_path)

    assert scanned == NBU_002_URL.encode("ascii")
    fields = unpack_nbu_url(scanned.decode("ascii"), "https://bank.gov.ua/qr/").split("\n")
    assert fields[5] == 'ТОВ "Енергозбут-Тест"'
    assert fields[6] == "UA193000010000026009876543210"
    assert fields[7] == "UAH1234.56"
    assert fields[8] == "43123452"
    assert fields[11] == UAH_PURPOSE


@needs_zbarimg
def test_nbu_003_qr_decodes_back_to_the_payload(tmp_path):
    url = nbu_url_003(nbu_003())

    assert unpack_nbu_url(scan_png(url, tmp_path).decode("ascii"), "https://qr.bank.gov.ua/") == nbu_003()


@needs_zbarimg
def test_gost_qr_carries_exactly_the_utf8_bytes(tmp_path):
    assert scan_png(GOST_TEXT, tmp_path) == GOST_TEXT.encode("utf-8")


@needs_zbarimg
@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm missing: apt-get install poppler-utils")
@pytest.mark.parametrize("data", [NBU_002_URL, GOST_TEXT], ids=["nbu", "gost"])
def test_svg_in_a_weasyprint_pdf_scans(data, tmp_path):
    """The way an invoice carries it: inline SVG in HTML, a WeasyPrint PDF, rasterised at 300 dpi."""
    from weasyprint import HTML

    pdf = tmp_path / "invoice.pdf"
    HTML(string=f"<html><body><p>QR</p>{qr_svg(data)}</body></html>").write_pdf(pdf)
    subprocess.run([PDFTOPPM, "-r", "300", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)

    assert scan_file(tmp_path / "page.png") == data.encode("utf-8")


# --- SVG ---


@pytest.mark.parametrize("data", [NBU_002_URL, GOST_TEXT])
def test_svg_is_xml_sized_in_mm_with_a_quiet_zone(data):
    svg = qr_svg(data)
    root = ET.fromstring(svg)
    symbol = qr_code(data)
    modules_with_quiet_zone = symbol.symbol_size(scale=1, border=4)[0]
    width_mm = Decimal(root.get("width").removesuffix("mm"))

    assert not svg.startswith("<?xml")
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width").endswith("mm")
    assert root.get("width") == root.get("height")
    assert width_mm == modules_with_quiet_zone * Decimal("0.6")
    assert width_mm / modules_with_quiet_zone >= Decimal("0.5")
    assert symbol.error == "M"
    assert 35 <= width_mm <= 55  # about 40 mm for the versions an invoice produces


def test_svg_refuses_modules_smaller_than_half_a_millimetre():
    modules_with_quiet_zone = qr_code(NBU_002_URL).symbol_size(scale=1, border=4)[0]
    width = ET.fromstring(qr_svg(NBU_002_URL, scale=Decimal("0.5"))).get("width")

    assert Decimal(width.removesuffix("mm")) == modules_with_quiet_zone * Decimal("0.5")
    with pytest.raises(ValueError, match="0.5 mm"):
        qr_svg(NBU_002_URL, scale=Decimal("0.4"))


# --- PNG (what the invoice PDF carries) ---


@pytest.mark.parametrize("data", [NBU_002_URL, GOST_TEXT])
def test_png_is_one_pixel_per_module_printed_at_the_svg_size(data):
    png, side_mm = qr_png(data)
    modules_with_quiet_zone = qr_code(data).symbol_size(scale=1, border=4)[0]
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the IHDR chunk

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert width == height == modules_with_quiet_zone
    assert side_mm == modules_with_quiet_zone * Decimal("0.6")
    assert f"{side_mm}mm" == ET.fromstring(qr_svg(data)).get("width")
    with pytest.raises(ValueError, match="0.5 mm"):
        qr_png(data, scale=Decimal("0.4"))


@needs_zbarimg
@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm missing: apt-get install poppler-utils")
@pytest.mark.parametrize("data", [NBU_002_URL, GOST_TEXT], ids=["nbu", "gost"])
def test_png_in_a_weasyprint_pdf_scans_unsmoothed(data, tmp_path):
    """The invoice's way: the PNG scaled up to its mm size without smoothing, rasterised at 300 dpi."""
    from weasyprint import HTML

    png, side_mm = qr_png(data)
    source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    image = f'<img src="{source}" style="width: {side_mm}mm; height: {side_mm}mm; image-rendering: pixelated">'
    pdf = tmp_path / "invoice.pdf"
    HTML(string=f"<html><body><p>QR</p>{image}</body></html>").write_pdf(pdf)
    subprocess.run([PDFTOPPM, "-r", "300", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)

    assert b"/Interpolate false" in pdf.read_bytes()
    assert scan_file(tmp_path / "page.png") == data.encode("utf-8")


def test_the_symbol_is_made_once_per_data():
    assert qr_code(NBU_002_URL) is qr_code(NBU_002_URL)


# --- The purpose printed beside the code ---


def test_the_purpose_is_read_back_from_every_format():
    created = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    nbu_003 = nbu_url_003(
        nbu_payload_003(
            payee=UAH_PAYEE, amount=Decimal("1.00"), purpose=UAH_PURPOSE, reference="KYIV-2026-0000001", created=created
        )
    )

    assert qr_payment_purpose(NBU_002_URL) == UAH_PURPOSE
    assert qr_payment_purpose(nbu_003) == UAH_PURPOSE
    assert qr_payment_purpose(GOST_TEXT) == RUB_PURPOSE
    assert qr_payment_purpose("https://example.com/not-a-payment") == ""


def payloads_of_every_size():
    """Invoice QR strings as the service builds them (NBU 002 and 003, GOST) for amounts of 0.01 to
    999,999.99 and purposes of many lengths, and plain strings of 1-650 bytes:
    versions 1-20, every one of the 8 masks."""
    created = datetime(2026, 11, 4, 8, 30, tzinfo=UTC)
    for number in range(60):
        amount = Decimal(7**number % 99_999_999 + 1) / 100
        purpose = f"Оплата за електроенергію, о/р {1_000_000_000 + number}, жовтень 2026" + " доплата" * (number % 40)
        yield nbu_url_002(nbu_payload_002(payee=UAH_PAYEE, amount=amount, purpose=purpose[:140]))
        yield nbu_url_003(
            nbu_payload_003(payee=UAH_PAYEE, amount=amount, purpose=purpose[:200], reference="", created=created)
        )
        yield gost_payload(
            payee=RUB_PAYEE, amount=amount, purpose=purpose, personal_account=str(number), period=date(2026, 5, 1)
        )
        yield "x" * (number * 11 + 1)


def test_the_symbol_is_segnos_own_module_for_module():
    """billing/qr/image.py chooses the data mask with numpy instead of segno's loop: the same mask (ISO/IEC
    18004 7.8.3, the lowest penalty of the eight) and the same modules as segno.make would draw."""
    masks, versions = set(), set()
    for data in payloads_of_every_size():
        reference = segno.make(data.encode("utf-8"), error="m", mode="byte", micro=False, boost_error=False)
        symbol = qr_code(data)
        assert (symbol.version, symbol.error, symbol.mask, symbol.mode) == (
            reference.version,
            reference.error,
            reference.mask,
            reference.mode,
        ), data
        assert symbol.matrix == reference.matrix, data
        masks.add(symbol.mask)
        versions.add(symbol.version)
    assert masks == set(range(8)) and len(versions) >= 15


def _data_or_refusal(make, *args, **kwargs):
    try:
        result = make(*args, **kwargs)
    except ValueError as error:
        return ("refused", str(error))
    return result.data if isinstance(result, PaymentQr) else (result or "")


@pytest.mark.parametrize(
    ("currency", "payee", "nbu_format"),
    [("UAH", UAH_PAYEE, "002"), ("UAH", UAH_PAYEE, "003"), ("RUB", RUB_PAYEE, "002"), ("EUR", UAH_PAYEE, "002")],
)
def test_the_chunk_maker_gives_exactly_what_payment_qr_gives(currency, payee, nbu_format):
    """The run builds its QR strings with `payment_qr_maker` (the supplier's fields joined once per chunk):
    every string, and every refusal, is `payment_qr`'s own."""
    created = datetime(2026, 5, 31, 21, 30, tzinfo=UTC)
    period = date(2026, 5, 1)
    make = payment_qr_maker(currency=currency, payee=payee, nbu_format=nbu_format, created=created, period=period)
    accounts = ["1234567890", "0", "A-17/3", "x" * 40, "з\u02bcїзд", "tab\there", "ab|cd"]
    purposes = [
        UAH_PURPOSE,
        RUB_PURPOSE,
        "о\u02bcб\u02bcєкт\n2",
        "€ sign",
        "  spaced  ",
        "ї" * 300,
        "",
        "|pipe|",
        "日本 ok",
        "a\xa0b",
    ]
    amounts = [Decimal("1234.56"), Decimal("0.01"), Decimal("5"), Decimal("0"), Decimal("-3.00"), Decimal("1.005"),
               Decimal("999999999.99"), Decimal("1000000000.00")]  # fmt: skip
    results = set()
    for account in accounts:
        for purpose in purposes:
            for amount in amounts:
                expected = _data_or_refusal(
                    payment_qr,
                    currency=currency,
                    payee=payee,
                    amount=amount,
                    purpose=purpose,
                    personal_account=account,
                    period=period,
                    nbu_format=nbu_format,
                    reference=account,
                    created=created,
                )
                assert _data_or_refusal(make, amount, purpose, account, account) == expected
                results.add(expected if isinstance(expected, str) else expected[0])
    # The cases cover codes, "no code" and refusals (EUR has no QR standard: never a code, never a refusal).
    assert results == {""} if currency == "EUR" else {"", "refused"} < results
