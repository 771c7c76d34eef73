"""`Idempotency-Key` on every write: a retry with the same key and body gets the first response and creates
nothing; the same key with another body is a 409.

A retry finds the record of the first request and replays it. The record is inserted with the response, in
the write's own transaction; a concurrent twin does its work (a reading waits on the meter's row lock, then
sees the first one's result), fails on the unique index when it records, rolls everything back and replays
the first answer. Server errors are never recorded, so a retry after one runs again.
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
    done = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if done is not None:
        return _replay(done, digest)  # a retry: the usual case is answered by one indexed read
    try:
        with transaction.atomic():
            response = handler()
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            # Stored as the client saw it (dates and decimals as JSON text): a replay is the same bytes.
            IdempotencyRecord.objects.create(
                owner=owner,
                key=key,
                request_hash=digest,
                status_code=response.status_code,
                response_body=json.loads(JSONRenderer().render(response.data)),
            )
    except IntegrityError:
        # A twin with this key committed first (our reading waited for its row lock, then our record hit the
        # unique index): everything this request did is rolled back, and the twin's answer is replayed.
        first = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if first is None:
            raise
        return _replay(first, digest)
    return response
