"""`Idempotency-Key` on every write: a retry with the same key and body gets the first response and creates
nothing; the same key with another body is a 409.

The record is inserted with the response, in the write's own transaction, by INSERT ... ON CONFLICT DO
NOTHING RETURNING: a first request (the usual case at the peak) pays one statement and no read. A retry or
a concurrent twin does its work (a reading waits on the meter's row lock, then sees the first one's result),
finds the key taken when it records, rolls everything back and replays the first answer. Server errors are
never recorded, so a retry after one runs again.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
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


def idempotent(request, handler, *, records_with_the_write: bool = False) -> Response:
    """Run `handler()` (which returns a Response) at most once per key and owner.

    With `records_with_the_write`, the handler is called with a `Recorder` and may write the record in its
    own write's statement (the integration API's submission: the reading and the record in one INSERT); it
    then sets `response.idempotency_recorded` (True: written; False: the key was taken). Otherwise, or when
    the handler wrote nothing (a refusal, a duplicate), the record is inserted here."""
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > 100:
        raise ApiError(
            "idempotency_key_required",
            _("Send an Idempotency-Key header (up to 100 characters, e.g. a UUID) with every write."),
        )
    owner, digest = _owner(request), _request_hash(request)
    with transaction.atomic():
        response = handler(Recorder(owner, key, digest)) if records_with_the_write else handler()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        recorded = getattr(response, "idempotency_recorded", None)
        if recorded is None:
            # Stored as the client saw it (dates and decimals as JSON text): a replay is the same bytes.
            body = json.loads(JSONRenderer().render(response.data))
            recorded = _record(owner, key, digest, response.status_code, body)
        if recorded:
            return response
        # This key was used before (a retry), or a twin with it committed first (our reading waited for its
        # row lock): everything this request did is rolled back, and the first answer is replayed.
        transaction.set_rollback(True)
    first = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
    if first is None:  # the first request's record was purged in between: nothing to replay
        raise ApiError("idempotency_key_reused", _("Please retry with a new Idempotency-Key."), status_code=409)
    return _replay(first, digest)


@dataclass(frozen=True)
class Recorder:
    """The record of one request, for a handler that writes it with its own write (PostgreSQL)."""

    owner: str
    key: str
    digest: str

    def row(self, status_code: int, body: dict):
        """The record as a row the reading's INSERT also writes (readings.submission_sql.RowAfter), the new
        reading's id set into the body's `reading.id` by that statement; None where that is not done."""
        if connection.vendor != "postgresql":
            return None
        from readings.submission_sql import RowAfter

        meta = IdempotencyRecord._meta
        values = _values(self.owner, self.key, self.digest, status_code, body)
        if not _TYPES:
            _TYPES.extend(meta.get_field(name).db_type(connection) for name in values)
        return RowAfter(
            table=meta.db_table,
            columns=tuple(values),
            types=tuple(_TYPES),
            params=tuple(meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()),
            conflict="ON CONFLICT (owner, key) DO NOTHING",
            reading_id_in="response_body",
        )


_TYPES: list[str] = []  # the record's column types, read from the model once


def _values(owner: str, key: str, digest: str, status_code: int, body) -> dict:
    return {
        "owner": owner,
        "key": key,
        "request_hash": digest,
        "status_code": status_code,
        "response_body": body,
        "created_at": timezone.now(),
    }


def _record(owner: str, key: str, digest: str, status_code: int, body) -> bool:
    """Insert the record unless one exists for this owner and key: one statement, no read before it (the
    usual write is a first request). True when inserted."""
    meta = IdempotencyRecord._meta
    values = _values(owner, key, digest, status_code, body)
    # Each value as its field stores it on this backend (jsonb on PostgreSQL, text on SQLite).
    params = [meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()]
    if connection.vendor == "postgresql":
        # Bound on the server and prepared, as the reading's statements (readings/submission_sql.py).
        from readings.submission_sql import prepared_cursor

        if not _TYPED_INSERT:
            typed = ", ".join(f"%s::{meta.get_field(name).db_type(connection)}" for name in values)
            _TYPED_INSERT.append(f"INSERT INTO {meta.db_table} ({', '.join(values)}) VALUES ({typed}) {_ON_CONFLICT}")
        with prepared_cursor() as cursor:
            cursor.execute(_TYPED_INSERT[0], params)
            return cursor.fetchone() is not None
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(values))
        cursor.execute(
            f"INSERT INTO {meta.db_table} ({', '.join(values)}) VALUES ({placeholders}) {_ON_CONFLICT}", params
        )
        return cursor.fetchone() is not None


_ON_CONFLICT = "ON CONFLICT (owner, key) DO NOTHING RETURNING id"
_TYPED_INSERT: list[str] = []  # built on first use


def idempotency_records_purge(*, now, retention_hours: int, batch_size: int = 10_000) -> int:
    """Delete records older than the retention (48 h by default): a client retries within minutes, and a
    key older than that is answered as new. In batches, so a large backlog never holds one long lock."""
    cutoff = now - timedelta(hours=retention_hours)
    deleted = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
