"""Demo data that makes the portal feel real: two districts, about 30 accounts, 13 months of readings.

Idempotent: every row is keyed (district code, account number, meter serial, meter + reading date,
email), so a second load with the same `today` creates nothing. Deterministic: each account's history
comes from a random generator seeded by its number.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountLink, District, InvoiceMode, PersonalAccount, User, WindowPolicy
from accounts.windows import add_months, month_start
from readings.models import Channel, Meter, Reading, ReadingStatus
from readings.zones import DEFAULT_REGISTER_LABELS, ONE_ZONE, THREE_ZONE, TWO_ZONE, zones_of

DEMO_PASSWORD = "demo-portal-2026"
CUSTOMER_EMAIL = "demo@example.com"
STAFF_EMAIL = "staff@example.com"
HISTORY_MONTHS = 13

DISTRICTS = [
    {
        "code": "KYIV",
        "name": "Київська філія",
        "contact_phone": "0 800 300 150",
        "contact_email": "kyiv@energy-portal.example",
        "office_address": "м. Київ, вул. Велика Васильківська, 40",
        "window": (0, -2, 1, 3),
        "window_policy": WindowPolicy.OPEN,
    },
    {
        "code": "DEK",
        "name": "Дніпровська енергетична компанія (ДЕК)",
        "contact_phone": "0 800 500 444",
        "contact_email": "dek@energy-portal.example",
        "office_address": "м. Дніпро, просп. Дмитра Яворницького, 22",
        "window": (0, 20, 0, 25),
        "window_policy": WindowPolicy.STRICT,
    },
]

STREETS = {
    "KYIV": [
        "вул. Шевченка",
        "вул. Хрещатик",
        "просп. Перемоги",
        "вул. Січових Стрільців",
        "вул. Антоновича",
        "бульв. Лесі Українки",
        "вул. Саксаганського",
        "просп. Голосіївський",
        "вул. Драгоманова",
    ],
    "DEK": [
        "вул. Глінки",
        "просп. Гагаріна",
        "вул. Володимира Мономаха",
        "вул. Січеславська Набережна",
        "вул. Робоча",
        "просп. Слобожанський",
    ],
}
CITY = {"KYIV": "м. Київ", "DEK": "м. Дніпро"}
FIRST_NAMES = [
    "Олена",
    "Тарас",
    "Ірина",
    "Андрій",
    "Марія",
    "Богдан",
    "Наталія",
    "Олександр",
    "Світлана",
    "Дмитро",
    "Оксана",
    "Василь",
    "Галина",
    "Юрій",
    "Людмила",
]
LAST_NAMES = [
    "Коваленко",
    "Шевчук",
    "Бондаренко",
    "Ткаченко",
    "Кравчук",
    "Мельник",
    "Олійник",
    "Поліщук",
    "Савченко",
    "Гончаренко",
    "Лисенко",
    "Руденко",
    "Марченко",
    "Петренко",
    "Захарченко",
]
CUSTOMER_CHANNELS = [
    Channel.CABINET,
    Channel.WEB_FORM,
    Channel.CHATBOT,
    Channel.CHATBOT,
    Channel.IVR,
    Channel.SMS,
    Channel.API,
]


@dataclass(frozen=True)
class DemoAccountSpec:
    number: str
    district_code: str
    zone_set: str
    register_digits: int
    is_smart: bool
    linked_to_demo: bool


def demo_account_specs() -> list[DemoAccountSpec]:
    specs = []
    for index in range(18):
        zone_set = [ONE_ZONE, TWO_ZONE, ONE_ZONE, THREE_ZONE, TWO_ZONE, ONE_ZONE][index % 6]
        specs.append(
            DemoAccountSpec(
                number=f"{1000100001 + index}",
                district_code="KYIV",
                zone_set=TWO_ZONE if index == 0 else zone_set,
                register_digits=5 if index == 7 else 6,  # one old 5-digit meter that rolls over
                is_smart=index in (5, 11),
                linked_to_demo=index == 0,
            )
        )
    for index in range(12):
        zone_set = [ONE_ZONE, ONE_ZONE, TWO_ZONE, ONE_ZONE, THREE_ZONE, TWO_ZONE][index % 6]
        specs.append(
            DemoAccountSpec(
                number=f"{2000200001 + index}",
                district_code="DEK",
                zone_set=ONE_ZONE if index == 0 else zone_set,
                register_digits=6,
                is_smart=index == 9,
                linked_to_demo=index == 0,
            )
        )
    return specs


@dataclass
class DemoLoadResult:
    districts: int = 0
    accounts: int = 0
    meters: int = 0
    readings: int = 0
    users: int = 0


def demo_data_load(*, today: date) -> DemoLoadResult:
    """Create whatever demo rows are missing; return how many of each were created."""
    result = DemoLoadResult()
    with transaction.atomic():
        districts = {spec["code"]: _district(spec, result) for spec in DISTRICTS}
        customer = _user(CUSTOMER_EMAIL, full_name="Олена Коваленко", is_staff=False, result=result)
        _user(STAFF_EMAIL, full_name="Оператор контакт-центру", is_staff=True, result=result)
        for spec in demo_account_specs():
            account = _account(spec, districts[spec.district_code], result)
            meter = _meter(spec, account, today, result)
            result.readings += _readings(spec, meter, districts[spec.district_code], customer, today)
            if spec.linked_to_demo:
                AccountLink.objects.get_or_create(user=customer, account=account)
        result.readings += _flagged_reading(today)
        _tariffs_and_norms()
    return result


def _tariffs_and_norms() -> None:
    """Real-looking prices: 4.32 UAH/kWh, night at half price; three-zone peak 1.5x, half-peak 1x."""
    from billing.models import Norm, Tariff

    prices = {"total": "4.32", "day": "4.32", "night": "2.16", "peak": "6.48", "half_peak": "4.32"}
    for zone, price in prices.items():
        Tariff.objects.get_or_create(
            category="household", effective_from=date(2021, 1, 1), zone=zone, defaults={"price": Decimal(price)}
        )
    Norm.objects.get_or_create(
        category="household", effective_from=date(2024, 1, 1), defaults={"kwh_per_resident": Decimal("65")}
    )


def demo_billing_history(*, today: date) -> int:
    """Bill every closed demo month in order (passes actual and final), as the 3rd-4th runs would have.

    Months whose final pass date (the 4th of the next month) is still ahead are left open. Months that
    already have a finished final run are skipped, so a second load bills nothing.
    """
    from billing.models import BillingRun, RunStatus
    from billing.run.services import PassAlreadyDone, run_in_process, run_start

    last_closed = add_months(month_start(today), -1 if today.day >= 4 else -2)
    month = add_months(month_start(today), -HISTORY_MONTHS)
    runs = 0
    while month <= last_closed:
        if not BillingRun.objects.filter(month=month, pass_name="final", status=RunStatus.DONE).exists():
            next_month = add_months(month, 1)
            for pass_name, day in (("actual", 3), ("final", 4)):
                try:
                    run = run_start(
                        month=month, pass_name=pass_name, run_date=next_month.replace(day=day), now=timezone.now()
                    )
                except PassAlreadyDone:
                    continue  # an earlier load stopped between the two passes
                run_in_process(run=run, queue_documents=False)
                runs += 1
            _demo_payments(month, last=month == last_closed)
        month = add_months(month, 1)
    _demo_printed_before(last_closed)
    demo_notices(today=today)
    return runs


def _demo_payments(month: date, *, last: bool) -> None:
    """Customers pay each month's invoice a week after it is issued, except the latest one (still to pay)
    and those of every fifth account (who owe). Idempotent: the references are unique."""
    from billing.models import Invoice
    from billing.payments.services import PaymentLine, payments_book

    if last:
        return
    lines = [
        PaymentLine(number, issued_on + timedelta(days=7), amount_due, f"DEMO-{invoice_number}")
        for invoice_number, number, issued_on, amount_due in Invoice.objects.filter(
            billing_month=month, amount_due__gt=0
        ).values_list("number", "account_number", "issued_on", "amount_due")
        if int(number) % 5
    ]
    payments_book(lines=lines, source="demo-bank", now=timezone.now())


def _demo_printed_before(last_month: date) -> None:
    """Paper invoices of the months before the latest were printed long ago (one empty batch per district
    stands for them), so the print queue holds the latest month only, as it would on a real portal."""
    from billing.documents.selectors import print_queue
    from billing.models import PrintBatch

    old = print_queue().filter(billing_month__lt=last_month)
    for district_id in sorted(set(old.values_list("district_id", flat=True))):
        district_old = old.filter(district_id=district_id)
        batch = PrintBatch.objects.create(
            district_id=district_id, invoice_count=district_old.count(), printed_at=timezone.now()
        )
        district_old.update(print_batch=batch)


def _flagged_reading(today: date) -> int:
    """One implausible reading waiting in the staff review queue, so the queue is not empty in a demo."""
    meter = Meter.objects.get(serial_number=f"{int(demo_account_specs()[3].number[-6:]) * 7 + 1_300_000:08d}")
    reading_date = month_start(today) + timedelta(days=9)  # the 10th: between two month-end readings
    if reading_date > today:
        reading_date = add_months(month_start(today), -1) + timedelta(days=9)
    if Reading.objects.filter(meter=meter, reading_date=reading_date).exists():
        return 0
    last = Reading.objects.filter(meter=meter, reading_date__lt=reading_date).order_by("-reading_date").first()
    jump = {zone: value + 4_000 for zone, value in last.values.items()}
    Reading.objects.create(
        meter=meter,
        reading_date=reading_date,
        zone_set=meter.zone_set,
        channel=Channel.CHATBOT,
        status=ReadingStatus.PENDING_REVIEW,
        submitted_at=timezone.make_aware(datetime.combine(reading_date, time(9, 15))),
        billing_month=meter.account.district.window.billing_month(reading_date),
        **{zone: value % 10**meter.register_digits for zone, value in jump.items()},
    )
    return 1


def _district(spec: dict, result: DemoLoadResult) -> District:
    open_offset, open_day, close_offset, close_day = spec["window"]
    district, created = District.objects.get_or_create(
        code=spec["code"],
        defaults={
            "name": spec["name"],
            "contact_phone": spec["contact_phone"],
            "contact_email": spec["contact_email"],
            "office_address": spec["office_address"],
            "window_open_month_offset": open_offset,
            "window_open_day": open_day,
            "window_close_month_offset": close_offset,
            "window_close_day": close_day,
            "window_policy": spec["window_policy"],
        },
    )
    result.districts += created
    return district


def _user(email: str, *, full_name: str, is_staff: bool, result: DemoLoadResult) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, full_name=full_name, is_staff=is_staff, is_superuser=is_staff
        )
        result.users += 1
    # The demo logins work at once: their addresses count as verified.
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _account(spec: DemoAccountSpec, district: District, result: DemoLoadResult) -> PersonalAccount:
    rng = random.Random(spec.number)
    street = rng.choice(STREETS[spec.district_code])
    holder = f"{rng.choice(LAST_NAMES)} {rng.choice(FIRST_NAMES)}"
    if spec.linked_to_demo:
        holder = "Коваленко Олена"
    address = f"{CITY[spec.district_code]}, {street}, буд. {rng.randint(1, 120)}, кв. {rng.randint(1, 240)}"
    account, created = PersonalAccount.objects.get_or_create(
        number=spec.number,
        defaults={
            "district": district,
            "address": address,
            "holder_name": holder,
            "category": "household",
            "residents": rng.randint(1, 5),
            "invoice_mode": rng.choice(
                [InvoiceMode.HYBRID, InvoiceMode.HYBRID, InvoiceMode.SELF, InvoiceMode.SUPPLIER]
            ),
            "paper_copy": rng.random() < 0.2,
        },
    )
    result.accounts += created
    return account


def _meter(spec: DemoAccountSpec, account: PersonalAccount, today: date, result: DemoLoadResult) -> Meter:
    rng = random.Random(f"meter-{spec.number}")
    zones = zones_of(spec.zone_set)
    installed_on = add_months(month_start(today), -(HISTORY_MONTHS + 1 + rng.randint(0, 30)))
    top = 10**spec.register_digits
    start = top - 2_500 if spec.register_digits == 5 else rng.randint(1_000, 60_000)
    install = {f"install_{zone}": start // (index + 1) for index, zone in enumerate(zones)}
    meter, created = Meter.objects.get_or_create(
        serial_number=f"{int(spec.number[-6:]) * 7 + 1_300_000:08d}",
        defaults={
            "account": account,
            "model_name": {ONE_ZONE: "НІК 2102", TWO_ZONE: "НІК 2303", THREE_ZONE: "Gama 100"}[spec.zone_set],
            "zone_set": spec.zone_set,
            "register_labels": DEFAULT_REGISTER_LABELS[spec.zone_set],
            "register_digits": spec.register_digits,
            "installed_on": installed_on,
            "is_smart": spec.is_smart,
            **install,
        },
    )
    result.meters += created
    return meter


ZONE_SHARES = {ONE_ZONE: (1.0,), TWO_ZONE: (0.68, 0.32), THREE_ZONE: (0.22, 0.48, 0.30)}
# Households use more in the dark, cold months.
SEASON = {1: 1.45, 2: 1.35, 3: 1.15, 4: 0.95, 5: 0.85, 6: 0.85, 7: 0.95, 8: 0.95, 9: 0.9, 10: 1.05, 11: 1.25, 12: 1.45}


def _readings(spec, meter: Meter, district: District, customer: User, today: date) -> int:
    """Month-end readings for the 13 closed months before this one, with a few gaps."""
    rng = random.Random(f"readings-{spec.number}")
    zones = meter.zones
    base_use = rng.randint(140, 330)
    values = {zone: meter.installation_values[zone] for zone in zones}
    top = 10**meter.register_digits
    existing = set(Reading.objects.filter(meter=meter).values_list("reading_date", flat=True))
    window = district.window
    first_month = add_months(month_start(today), -HISTORY_MONTHS)
    new_rows = []
    for step in range(HISTORY_MONTHS):
        month = add_months(first_month, step)
        used = round(base_use * SEASON[month.month] * rng.uniform(0.85, 1.15))
        split = [round(used * share) for share in ZONE_SHARES[meter.zone_set]]
        for zone, part in zip(zones, split, strict=True):
            values[zone] = (values[zone] + part) % top
        skipped = (not spec.is_smart) and rng.random() < 0.12 and not (spec.linked_to_demo and step >= 10)
        reading_date = window.opens_on(month) + timedelta(days=rng.randint(0, 2))
        reading_date = min(reading_date, window.closes_on(month))
        submitted_on = reading_date
        # Draw every random number before deciding to skip, so reruns see the same sequence.
        channel = Channel.AMI if spec.is_smart else rng.choice(CUSTOMER_CHANNELS)
        if spec.linked_to_demo:
            channel = Channel.CABINET
        minute = rng.randint(0, 59)
        if skipped or reading_date >= today or reading_date in existing:
            continue
        new_rows.append(
            Reading(
                meter=meter,
                reading_date=reading_date,
                zone_set=meter.zone_set,
                channel=channel,
                status=ReadingStatus.ACCEPTED,
                submitted_by=customer if channel == Channel.CABINET and spec.linked_to_demo else None,
                submitted_at=timezone.make_aware(datetime.combine(submitted_on, time(10, minute))),
                billing_month=window.billing_month(submitted_on),
                **{zone: values[zone] for zone in zones},
            )
        )
    Reading.objects.bulk_create(new_rows)
    return len(new_rows)


def demo_notices(*, today: date) -> int:
    """Put a reminder and an estimate notice for the demo customer in the outbox (admin: "Outgoing emails"),
    as the daily job and the last final pass would write them. Idempotent: reminders are recorded once and
    the emails carry dedup keys. Sends are not queued (no broker yet); the outbox's periodic resend sends
    them once `make run` is up."""
    from billing.delivery.services import estimate_notices_send
    from billing.models import BillingRun, Charge, RunStatus
    from readings.reminder_dates import OPENS
    from readings.reminders import reminders_chunk_send

    customer = User.objects.get(email=CUSTOMER_EMAIL)
    emails = 0
    for account in PersonalAccount.objects.filter(links__user=customer).select_related("district").order_by("pk"):
        # The reminder of the district's current (or next) window, as its opening day would send it.
        month = account.district.window.status(today).billing_month
        emails += reminders_chunk_send(
            district_id=account.district_id,
            kind=OPENS,
            month=month,
            first_account_id=account.pk,
            last_account_id=account.pk,
            now=timezone.now(),
            queue_sends=False,
        ).emails
        # The latest final pass that estimated this account.
        run_id = (
            Charge.objects.filter(account=account, basis__in=["average", "norm"], run__pass_name="final")
            .filter(run__status=RunStatus.DONE)
            .order_by("-billing_month")
            .values_list("run_id", flat=True)
            .first()
        )
        if run_id and BillingRun.objects.filter(pk=run_id).exists():
            emails += estimate_notices_send(
                run_id=run_id, first_account_id=account.pk, last_account_id=account.pk, queue_sends=False
            )
    return emails
