"""The billing app's models: tariffs, norms, runs and charges (`charges`); invoices and payments (`invoices`);
what no invoice has taken yet (`open_items`)."""

from billing.models.card import CardPayment, CardPaymentStatus
from billing.models.charges import (
    CATEGORY_FORMAT,
    ESTIMATE_BASES,
    ZONE_CHOICES,
    Basis,
    BillingChunk,
    BillingRun,
    Charge,
    ChargeQuerySet,
    MeterBillingState,
    Norm,
    Pass,
    RunStatus,
    Tariff,
)
from billing.models.invoices import (
    Invoice,
    InvoiceCounter,
    InvoiceItem,
    InvoiceKind,
    InvoiceStatus,
    Payment,
    PaymentSource,
    PrintBatch,
)
from billing.models.open_items import OpenCharge, OpenPayment
from billing.models.statements import UnmatchedPayment, UnmatchedReason

__all__ = [
    "CATEGORY_FORMAT",
    "ESTIMATE_BASES",
    "ZONE_CHOICES",
    "Basis",
    "CardPayment",
    "CardPaymentStatus",
    "BillingChunk",
    "BillingRun",
    "Charge",
    "ChargeQuerySet",
    "Invoice",
    "InvoiceCounter",
    "InvoiceItem",
    "InvoiceKind",
    "InvoiceStatus",
    "MeterBillingState",
    "Norm",
    "OpenCharge",
    "OpenPayment",
    "Pass",
    "Payment",
    "PaymentSource",
    "PrintBatch",
    "RunStatus",
    "Tariff",
    "UnmatchedPayment",
    "UnmatchedReason",
]
