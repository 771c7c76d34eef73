"""Bank statements as banks export them: 1C ClientBankExchange (cp1251, CRLF), a bank's CSV (cp1251, `;`,
decimal commas, `10.11.2026 12:01`), camt.053 and camt.054 XML. Accounts are found in the purpose text; a
second import books nothing; unmatched lines wait in the staff queue until staff assign an account."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from billing.models import Payment, UnmatchedPayment
from billing.payments.matching import account_numbers_in
from billing.payments.statement_import import statement_import
from billing.payments.statements import read_statement
from tests.billing.test_payments import charge, issue
from tests.factories import PersonalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 20)
NOW = timezone.make_aware(datetime.datetime(2026, 11, 20, 9, 0))
OURS = "UA193000010000026009876543210"  # settings.SUPPLIER_IBAN
OURS_2 = "UA213000010000026001234567890"  # the supplier's second account, named in the 1C file
PAYER = "UA903052992990004149123456789"


@pytest.fixture
def accounts(kyiv):
    return {number: PersonalAccountFactory(district=kyiv, number=number) for number in ("1000100001", "1000100008")}


def onec_document(number, amount, payer_iban, payee_iban, purpose, *, payer="Іваненко Іван Іванович", day="10.11.2026"):
    received = f"ДатаПоступило={day}" if payee_iban in (OURS, OURS_2) else f"ДатаСписано={day}"
    return [
        "СекцияДокумент=Платіжне доручення",
        f"Номер={number}",
        f"Дата={day}",
        f"Сумма={amount}",
        f"ПлательщикСчет={payer_iban}",
        f"Плательщик={payer}",
        "ПлательщикИНН=2345678901",
        f"ПолучательСчет={payee_iban}",
        'Получатель=ТОВ "Енергозбут-Демо"',
        "ПолучательИНН=43123452",
        received,
        f"НазначениеПлатежа={purpose}",
        "КонецДокумента",
    ]


def onec_file(*documents, encoding="cp1251") -> bytes:
    header = [
        "1CClientBankExchange",
        "ВерсияФормата=1.03",
        "Кодировка=Windows" if encoding == "cp1251" else "Кодировка=UTF-8",
        "Отправитель=Приват24",
        "Получатель=Бухгалтерія",
        "ДатаСоздания=11.11.2026",
        "ВремяСоздания=08:15:00",
        "ДатаНачала=10.11.2026",
        "ДатаКонца=10.11.2026",
        f"РасчСчет={OURS}",
        f"РасчСчет={OURS_2}",
        "СекцияРасчСчет",
        "ДатаНачала=10.11.2026",
        f"РасчСчет={OURS}",
        "НачальныйОстаток=10000.00",
        "КонецРасчСчет",
    ]
    rows = header + [row for document in documents for row in document] + ["КонецФайла"]
    return ("\r\n".join(rows) + "\r\n").encode(encoding)


ONEC = onec_file(
    onec_document("@2PL123456", "751.68", PAYER, OURS, "Оплата за електроенергію, о/р 1000100008, жовтень 2026"),
    onec_document(
        "@2PL123457", "120.00", "UA113052990000026007777777777", OURS, "За світло, Петренко", payer="Петренко"
    ),
    onec_document("15", "3000.00", OURS, "UA663204780000026001111111111", "Оплата за оренду офісу"),  # paid out
    onec_document("@2PL123458", "5000.00", OURS_2, OURS, "Переказ власних коштів"),  # own transfer
)


def camt(kind: str, entries: str) -> bytes:
    message, report = {"053": ("BkToCstmrStmt", "Stmt"), "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}[kind]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.08">
  <{message}>
    <GrpHdr><MsgId>STMT-20261111-1</MsgId><CreDtTm>2026-11-11T08:00:00+02:00</CreDtTm></GrpHdr>
    <{report}>
      <Id>STMT-1</Id>
      <Acct><Id><IBAN>{OURS}</IBAN></Id><Ccy>UAH</Ccy></Acct>
      {entries}
    </{report}>
  </{message}>
</Document>""".encode()


def entry(
    amount, indicator, ref, purpose, *, debtor="Іваненко Іван Іванович", iban=PAYER, day="2026-11-10", status="BOOK"
):
    party = "Dbtr" if indicator == "CRDT" else "Cdtr"
    return f"""
      <Ntry>
        <Amt Ccy="UAH">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>{ref}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <Amt Ccy="UAH">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>
          <RltdPties><{party}><Pty><Nm>{debtor}</Nm></Pty></{party}><{party}Acct><Id><IBAN>{iban}</IBAN></Id></{party}Acct></RltdPties>
          <RmtInf><Ustrd>{purpose}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def bank_csv(*rows) -> bytes:
    header = (
        "ЄДРПОУ;МФО;Рахунок;Валюта;Дата операції;Код операції;МФО банку;Назва банку;Рахунок кореспондента;"
        "ЄДРПОУ кореспондента;Кореспондент;Документ;Дата документа;Дебет;Кредит;Призначення платежу;Референс"
    )
    lines = [header] + [
        f"43123452;305299;{OURS};UAH;{day};1;305299;АТ КБ ПРИВАТБАНК;{iban};{code};{name};{doc};{day[:10]};"
        f"{debit};{credit};{purpose};{ref}"
        for day, iban, code, name, doc, debit, credit, purpose, ref in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def run(raw: bytes, **options):
    return statement_import(raw=raw, source_name="bank", today=TODAY, now=NOW, **options)


def command(tmp_path, raw: bytes, *args):
    path = tmp_path / "statement"
    path.write_bytes(raw)
    out, err = io.StringIO(), io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("import_payments", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- Matching the purpose text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "numbers"),
    [
        ("Оплата за електроенергію, о/р 1000100008, жовтень 2026", ["1000100008"]),
        ("о/р1000100008", ["1000100008"]),
        ("О / Р 1000100008", ["1000100008"]),
        ("o/p 1000100008", ["1000100008"]),  # Latin letters typed for Cyrillic
        ("за ел.енергію ос.рах 1000100001", ["1000100001"]),
        ("ос. рах. №1000100001", ["1000100001"]),
        ("особовий рахунок № 1000100001 за жовтень", ["1000100001"]),
        ("Особовий рахунок №1000100001", ["1000100001"]),
        ("л/с 1000100001", ["1000100001"]),
        ("л/с:1000100001", ["1000100001"]),
        ("оплата электроэнергии лицевой счет 1000100001", ["1000100001"]),
        ("лицевой счёт №1000100001", ["1000100001"]),
        ("особ. рах. 1000100001; о/р 1000100008", ["1000100001", "1000100008"]),
        ("Оплата 1000100008 жовтень", []),  # a number with no marker is not taken (it may be a phone)
        ("договор 1234567", []),
        ("о/р 10001000081234567890123", []),  # longer than any account
    ],
)
def test_the_account_is_read_from_the_purpose_as_customers_write_it(purpose, numbers):
    assert account_numbers_in(purpose) == numbers


# --- 1C ClientBankExchange ---------------------------------------------------------------------------------


def test_a_1c_file_in_cp1251_books_the_matched_credit_queues_the_rest_and_ignores_debits(tmp_path, accounts):
    statement = read_statement(ONEC, today=TODAY, own_accounts=frozenset({OURS}))
    assert (statement.format, statement.encoding, statement.errors) == ("1c", "cp1251", [])

    out, err = command(tmp_path, ONEC)
    assert "Format: 1c (cp1251)." in out
    assert "Booked: 1 payments; already booked before: 0." in out
    assert "To the staff queue (Unmatched payments): 1 unmatched, 0 ambiguous." in out
    assert "Ignored: 1 debit lines, 1 own transfers." in out
    payment = Payment.objects.get()
    assert (payment.account.number, payment.amount, payment.paid_on, payment.reference) == (
        "1000100008",
        Decimal("751.68"),
        D(2026, 11, 10),
        "2PL123456",
    )
    assert (payment.payer_iban, payment.payer_name) == (PAYER, "Іваненко Іван Іванович")
    queued = UnmatchedPayment.objects.get()
    assert (queued.amount, queued.purpose, queued.reason, queued.payment) == (
        Decimal("120.00"),
        "За світло, Петренко",
        "unmatched",
        None,
    )

    out, _ = command(tmp_path, ONEC)  # the same statement again
    assert "Booked: 0 payments; already booked before: 2." in out
    assert (Payment.objects.count(), UnmatchedPayment.objects.count()) == (1, 1)


def test_a_1c_file_in_utf8_reads_the_same(accounts):
    result = run(onec_file(onec_document("@2PL9", "10.50", PAYER, OURS, "л/с 1000100001"), encoding="utf-8"))
    assert (result.format, result.encoding, result.booked) == ("1c", "utf-8", 1)
    assert Payment.objects.get().account.number == "1000100001"


def test_a_bad_amount_in_a_1c_file_names_its_line_and_key_and_books_nothing(tmp_path, accounts):
    raw = onec_file(
        onec_document("@2PL1", "751.68", PAYER, OURS, "о/р 1000100008"),
        onec_document("@2PL2", "1e3", PAYER, OURS, "о/р 1000100008"),
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        command(tmp_path, raw)
    assert not Payment.objects.exists() and not UnmatchedPayment.objects.exists()
    # The second document starts on line 30; its Сумма is the fourth line of it.
    result = run(raw)
    assert [str(error) for error in result.errors] == [
        "line 33, Сумма: '1e3' is not an amount: ASCII digits 0-9 with at most one decimal separator '.' "
        "(e.g. 751.68) [amount_not_a_number]"
    ]
    out, err = command(tmp_path, raw, "--good-lines")
    assert "line 33, Сумма" in err
    assert "Booked: 1 payments" in out and "Skipped: 1 bad lines" in out
    assert Payment.objects.get().amount == Decimal("751.68")


# --- Bank CSV ------------------------------------------------------------------------------------------------


def test_a_bank_csv_with_semicolons_and_decimal_commas_is_recognised_by_its_header(tmp_path, accounts):
    raw = bank_csv(
        ("10.11.2026 12:01", PAYER, "2345678901", "Іваненко І.І.", "77", "", "751,68", "ос.рах 1000100001", "P-1"),
        ("10.11.2026 12:05", PAYER, "2345678901", "Іваненко І.І.", "78", "", "48,32", "о/р1000100008", "P-2"),
        (
            "10.11.2026 15:00",
            "UA663204780000026001111111111",
            "38000000",
            "ТОВ Оренда",
            "15",
            "3000,00",
            "",
            "оренда",
            "P-3",
        ),
    )
    out, _ = command(tmp_path, raw)
    assert "Format: bank-csv:privatbank (cp1251)." in out
    assert "Booked: 2 payments" in out and "Ignored: 1 debit lines, 0 own transfers." in out
    assert sorted(Payment.objects.values_list("account__number", "amount", "paid_on")) == [
        ("1000100001", Decimal("751.68"), D(2026, 11, 10)),
        ("1000100008", Decimal("48.32"), D(2026, 11, 10)),
    ]
    out, _ = command(tmp_path, raw)
    assert "Booked: 0 payments; already booked before: 2." in out


def test_an_unknown_csv_layout_is_refused_with_the_known_ones_and_read_with_columns(tmp_path, accounts):
    raw = "Дата;Сума;Платник;Опис\r\n10.11.2026;99,90;Іваненко;о/р 1000100008\r\n".encode("cp1251")
    with pytest.raises(CommandError):
        command(tmp_path, raw)
    result = run(raw)
    assert result.errors[0].code == "unknown_format" and "privatbank" in result.errors[0].message
    out, _ = command(
        tmp_path, raw, "--column", "date=Дата", "--column", "amount=Сума", "--column", "purpose=Опис",
        "--column", "payer_name=Платник",
    )  # fmt: skip
    assert "Format: bank-csv:custom (cp1251)." in out and "Booked: 1 payments" in out
    assert Payment.objects.get().amount == Decimal("99.90")
    out, _ = command(
        tmp_path, raw, "--column", "date=Дата", "--column", "amount=Сума", "--column", "purpose=Опис",
        "--column", "payer_name=Платник",
    )  # fmt: skip
    assert "Booked: 0 payments; already booked before: 1." in out  # no reference column: the line's hash


# --- ISO 20022 ------------------------------------------------------------------------------------------------


def test_a_camt053_statement_books_credits_by_purpose_and_skips_what_1c_booked(tmp_path, accounts):
    command(tmp_path, ONEC)  # 2PL123456 booked to 1000100008 from the 1C file
    raw = camt(
        "053",
        entry("751.68", "CRDT", "2PL123456", "Оплата за електроенергію, о/р 1000100008, жовтень 2026")
        + entry("300.00", "CRDT", "2PL200001", "ос.рах 1000100001 листопад")
        + entry("215.40", "CRDT", "2PL200002", "Оплата за листопад")  # no account: the payer's IBAN knows it
        + entry("3000.00", "DBIT", "2PL200003", "Оренда", debtor="ТОВ Оренда", iban="UA663204780000026001111111111"),
    )
    out, _ = command(tmp_path, raw)
    assert "Format: camt.053 (utf-8)." in out
    assert "Booked: 2 payments; already booked before: 1." in out
    assert "Ignored: 1 debit lines, 0 own transfers." in out
    assert sorted(Payment.objects.values_list("reference", "account__number", "amount")) == [
        ("2PL123456", "1000100008", Decimal("751.68")),
        ("2PL200001", "1000100001", Decimal("300.00")),
        ("2PL200002", "1000100008", Decimal("215.40")),  # PAYER paid 1000100008 before
    ]
    out, _ = command(tmp_path, raw)
    assert "Booked: 0 payments; already booked before: 3." in out


def test_a_camt054_notification_is_read_too(accounts):
    result = run(camt("054", entry("88.00", "CRDT", "NTF-1", "особовий рахунок № 1000100001")))
    assert (result.format, result.booked) == ("camt.054", 1)


def test_an_entry_the_bank_has_not_booked_yet_is_counted_not_booked(tmp_path, accounts):
    raw = camt("053", entry("40.00", "CRDT", "PEND-1", "о/р 1000100008", status="PDNG"))
    out, _ = command(tmp_path, raw)
    assert "Booked: 0 payments" in out and "Not booked by the bank yet (ignored): 1 entries." in out
    assert not Payment.objects.exists() and not UnmatchedPayment.objects.exists()


def test_a_1c_document_written_off_is_a_debit_even_when_the_file_names_no_accounts(accounts):
    document = onec_document(
        "16", "99.00", "UA663204780000026001111111111", "UA113052990000026007777777777", "о/р 1000100008"
    )
    raw = (
        onec_file(document)
        .replace(f"РасчСчет={OURS}\r\n".encode("cp1251"), b"")
        .replace(f"РасчСчет={OURS_2}\r\n".encode("cp1251"), b"")
    )
    result = run(raw)
    assert (result.debits, result.booked) == (1, 0)


def test_xml_that_is_not_a_statement_or_not_well_formed_is_refused(accounts):
    assert run(b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.09'/>").errors[
        0
    ].code == ("unknown_format")
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Document>&b;</Document>'
    assert run(bomb).errors[0].code == "not_xml"  # defusedxml refuses entity definitions
    assert not Payment.objects.exists()


# --- The staff queue -------------------------------------------------------------------------------------------


def test_a_purpose_naming_two_accounts_is_ambiguous_and_waits_for_staff(accounts):
    result = run(onec_file(onec_document("@2PL5", "60.00", PAYER, OURS, "о/р 1000100001 та о/р 1000100008")))
    assert (result.booked, result.ambiguous) == (0, 1)
    assert UnmatchedPayment.objects.get().candidates == "1000100001, 1000100008"


def test_staff_assign_an_unmatched_line_in_the_admin_and_it_is_booked_once(client, tmp_path, accounts):
    account = accounts["1000100001"]
    charge(account, "120.00", D(2026, 10, 1))
    invoice = issue(account, D(2026, 10, 1), D(2026, 11, 3))
    command(tmp_path, ONEC)
    queued = UnmatchedPayment.objects.get()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    page = client.get("/en/admin/billing/unmatchedpayment/").content.decode()
    assert "Unmatched payments" in page and "За світло, Петренко" in page
    response = client.post(f"/en/admin/billing/unmatchedpayment/{queued.pk}/change/", {"account": ""})
    assert "Choose the personal account this payment is for." in response.content.decode()
    assert not Payment.objects.filter(account=account).exists()

    response = client.post(f"/en/admin/billing/unmatchedpayment/{queued.pk}/change/", {"account": account.pk})
    assert response.status_code == 302
    payment = Payment.objects.get(account=account)
    assert (payment.amount, payment.reference, payment.created_by) == (Decimal("120.00"), "2PL123457", staff)
    queued.refresh_from_db()
    assert (queued.payment, queued.account, queued.assigned_by) == (payment, account, staff)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on) == ("paid", D(2026, 11, 10))

    out, _ = command(tmp_path, ONEC)  # the statement again: the assigned line is not booked a second time
    assert "Booked: 0 payments; already booked before: 2." in out
    assert Payment.objects.filter(account=account).count() == 1


# --- No input crashes the readers ------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PREFIXES = [b"", b"1CClientBankExchange\r\n", b"<?xml version='1.0'?>", "Дата;Сума;Опис\r\n".encode("cp1251")]


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=400))
def test_no_bytes_crash_the_statement_readers(prefix, body):
    statement = read_statement(prefix + body, today=TODAY, own_accounts=frozenset({OURS}))
    assert all(line.amount > 0 and line.paid_on <= TODAY for line in statement.lines)


@FUZZ
@given(
    amount=st.one_of(st.text(max_size=12), st.sampled_from(["12\u20283", "12\x1c", "1\x0b5", "751.68"])),
    purpose=st.text(max_size=60).filter(lambda text: "\r" not in text and "\n" not in text),
)
def test_any_amount_or_purpose_in_a_1c_document_is_a_line_or_a_named_error(amount, purpose):
    raw = onec_file(
        onec_document("@2PL7", amount.replace("\r", "").replace("\n", ""), PAYER, OURS, purpose), encoding="utf-8"
    )
    statement = read_statement(raw, today=TODAY, own_accounts=frozenset({OURS}))
    assert len(statement.lines) + len({error.line for error in statement.errors}) == 1
    for error in statement.errors:
        assert error.field == "Сумма" and error.code.startswith("amount_")
    for line in statement.lines:  # nothing but ASCII digits is a number, even beside a U+2028 or \x1c
        written = amount.replace("\r", "").replace("\n", "").strip(" \t")
        assert re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", written) and Decimal(written) == line.amount
        assert line.purpose == purpose.strip(" \t")
