import datetime
from decimal import ROUND_HALF_UP, Decimal

import factory

from accounts.windows import add_months
from billing.models import Charge
from tests.factories.readings import MeterFactory


class ChargeFactory(factory.django.DjangoModelFactory):
    """A norm charge of one month for a one-zone meter: `volume_kwh x price`, rounded half up.

    For charges by real readings use the billing run (`billing.run.services.run_start` + `run_in_process`).
    """

    class Meta:
        model = Charge

    meter = factory.SubFactory(MeterFactory)
    account = factory.LazyAttribute(lambda charge: charge.meter.account)
    zone = "total"
    basis = "norm"
    volume_kwh = 130
    price = Decimal("4.32000")
    amount = factory.LazyAttribute(
        lambda charge: (charge.volume_kwh * charge.price).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )
    billing_month = datetime.date(2026, 10, 1)
    span_start = factory.LazyAttribute(lambda charge: charge.billing_month - datetime.timedelta(days=1))
    span_end = factory.LazyAttribute(lambda charge: add_months(charge.billing_month, 1) - datetime.timedelta(days=1))
    estimate_number = 1
