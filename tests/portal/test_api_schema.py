"""Schemathesis against /api/schema/: generated requests to every operation, as a customer (token) and as an
integration client with every scope, never get a server error, and every answer matches the schema
(status code documented, content type, body)."""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.models import ApiClient, Scope

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(db):
    """The schema served by the WSGI app, called in this process on the test database. As Django's test
    client does, requests must not close the test's connection when they finish."""
    from portal.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(two_zone_meter):
    client = ApiClient(name="schemathesis", channel="chatbot", scopes=list(Scope.values))
    key = client.new_key()
    client.save()
    token = Token.objects.create(user=two_zone_meter.account.links.get().user)
    return {"client": f"Bearer {key}", "customer": f"Token {token.key}"}


SETTINGS = hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_every_operation_answers_as_documented(api_schema, credentials):
    # Each operation's strategy driven by hypothesis here (schemathesis' lazy pytest fixture does not run
    # on pytest 9).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy())
        def call(case):
            who = "client" if case.path.startswith("/api/v1/integrations/") else "customer"
            headers = {"Authorization": credentials[who], "Accept-Language": "uk"}
            if case.method.upper() == "POST" and case.path != "/api/v1/auth/token/":
                headers["Idempotency-Key"] = str(uuid.uuid4())
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
