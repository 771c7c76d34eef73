"""`Idempotency-Key` on every write: a retry with the same key and body gets the first response and creates
nothing; the same key with another body is a 409.

The record is inserted first, in the write's own transaction. A concurrent duplicate blocks on the unique
index until the first commits, then finds the finished record and replays it; if the first rolls back, the
duplicate does the work itself. Server errors are never recorded, so a retry after one runs again.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from portal.api.auth import calling_client
from portal.api.errors import ApiError, error_body
from portal.models import IdempotencyRecord

HEADER = "Idempotency-Key"


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _owner(request) -> str:
    client = calling_client(request)
    return f"client:{client.pk}" if client else f"user:{request.user.pk}"


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_hash != digest:
        return Response(
            error_body(
                "idempotency_key_reused",
                _("This Idempotency-Key was already used for a different request. Use a new key for a new request."),
            ),
            status=409,
        )
    return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(request, handler) -> Response:
    """Run `handler()` (which returns a Response) at most once per key and owner."""
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > 100:
        raise ApiError(
            "idempotency_key_required",
            _("Send an Idempotency-Key header (up to 100 characters, e.g. a UUID) with every write."),
        )
    owner, digest = _owner(request), _request_hash(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(owner=owner, key=key, request_hash=digest)
        except IntegrityError:
            return _replay(IdempotencyRecord.objects.get(owner=owner, key=key), digest)
        response = handler()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        # Stored as the client saw it (dates and decimals as JSON text), so a replay is byte for byte the same.
        record.status_code = response.status_code
        record.response_body = json.loads(JSONRenderer().render(response.data))
        record.save(update_fields=["status_code", "response_body"])
    return response
