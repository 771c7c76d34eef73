"""Card payments through an acquirer, behind one small interface (pure: no Django).

A provider builds the checkout the customer's browser is sent to (`checkout`) and verifies the acquirer's
server-to-server callback (`verify_callback`). Only a verified callback books money
(billing/payments/card.py); another acquirer is another class with these two methods.

LiqPay (https://www.liqpay.ua/documentation/api/aquiring/checkout/doc): the checkout is an HTML form POSTed
to `https://www.liqpay.ua/api/3/checkout` with `data` = base64(JSON of the parameters) and `signature` =
base64(sha1(private_key + data + private_key)); the callback POSTs the same two fields to `server_url`.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
PAID, FAILED, PENDING = "paid", "failed", "pending"


class CallbackRefused(Exception):
    """The callback is not the acquirer's (bad signature, wrong merchant) or cannot be read."""


@dataclass(frozen=True)
class Checkout:
    action: str  # the URL the browser form is posted to
    fields: dict[str, str]  # hidden inputs


@dataclass(frozen=True)
class CallbackResult:
    order_id: str
    status: str  # PAID, FAILED or PENDING
    amount: Decimal
    currency: str
    transaction_id: str  # the acquirer's id of the payment: the booked payment's reference
    paid_on: date | None


class CardProvider(Protocol):
    name: str

    def checkout(
        self, *, order_id: str, amount: Decimal, currency: str, description: str, result_url: str, server_url: str,
        language: str,
    ) -> Checkout: ...  # fmt: skip

    def verify_callback(self, fields: dict[str, str]) -> CallbackResult: ...


class LiqPay:
    name = "liqpay"
    CHECKOUT_URL = "https://www.liqpay.ua/api/3/checkout"
    # LiqPay's statuses (documentation, "Callback"): success is final; sandbox is success in test mode.
    SUCCESS = {"success"}
    FAILURE = {"failure", "error", "reversed"}

    def __init__(self, *, public_key: str, private_key: str, sandbox: bool = False):
        self.public_key = public_key
        self.private_key = private_key
        self.sandbox = sandbox

    def sign(self, data: str) -> str:
        digest = hashlib.sha1((self.private_key + data + self.private_key).encode()).digest()  # noqa: S324 - LiqPay's scheme
        return base64.b64encode(digest).decode()

    def encode(self, params: dict) -> str:
        return base64.b64encode(json.dumps(params, ensure_ascii=False).encode()).decode()

    def checkout(self, *, order_id, amount, currency, description, result_url, server_url, language) -> Checkout:
        params = {
            "version": 3,
            "public_key": self.public_key,
            "action": "pay",
            "amount": f"{amount:.2f}",
            "currency": currency,
            "description": description,
            "order_id": order_id,
            "result_url": result_url,
            "server_url": server_url,
            "language": "uk" if language in ("uk", "ru") else "en",
        }
        if self.sandbox:
            params["sandbox"] = 1
        data = self.encode(params)
        return Checkout(self.CHECKOUT_URL, {"data": data, "signature": self.sign(data)})

    def verify_callback(self, fields: dict[str, str]) -> CallbackResult:
        data, signature = fields.get("data", ""), fields.get("signature", "")
        # Bytes, not str: compare_digest raises TypeError on non-ASCII text, and the field is what was posted.
        given = signature.encode("utf-8", "surrogateescape")
        if not data or not signature or not hmac.compare_digest(self.sign(data).encode(), given):
            raise CallbackRefused("the signature does not match")
        try:
            body = json.loads(base64.b64decode(data, validate=True))
            amount = Decimal(str(body["amount"]))
            order_id, status = str(body["order_id"]), str(body["status"])
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise CallbackRefused(f"the callback cannot be read ({error})") from error
        if body.get("public_key") != self.public_key:
            raise CallbackRefused("the callback is for another merchant")
        success = self.SUCCESS | ({"sandbox"} if self.sandbox else set())
        state = PAID if status in success else FAILED if status in self.FAILURE else PENDING
        paid_on = None
        if isinstance(body.get("end_date"), int | float):  # milliseconds since the epoch
            paid_on = datetime.fromtimestamp(body["end_date"] / 1000, UTC).astimezone(KYIV).date()
        return CallbackResult(
            order_id=order_id,
            status=state,
            amount=amount,
            currency=str(body.get("currency", "")),
            transaction_id=str(body.get("payment_id") or body.get("transaction_id") or order_id),
            paid_on=paid_on,
        )
