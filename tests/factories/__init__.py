"""factory_boy factories, one module per app; import them from here."""

from tests.factories.accounts import AccountLinkFactory, DistrictFactory, PersonalAccountFactory, UserFactory
from tests.factories.billing import ChargeFactory
from tests.factories.readings import MeterFactory, ReadingFactory

__all__ = [
    "AccountLinkFactory",
    "ChargeFactory",
    "DistrictFactory",
    "MeterFactory",
    "PersonalAccountFactory",
    "ReadingFactory",
    "UserFactory",
]
