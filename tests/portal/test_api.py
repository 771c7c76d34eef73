"""The channel API: integration clients (keys, scopes, verify, submit), customers (token, only their accounts),
idempotency, and the two-zone reading that reaches the customer's history with its channel."""

import threading
import uuid

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portal.models import ApiClient, IdempotencyRecord
from readings.models import Reading
from tests.factories import MeterFactory, PersonalAccountFactory

pytestmark = pytest.mark.django_db

NOW = "2026-11-20 10:00 +02:00"
VERIFY, READINGS = "/api/v1/integrations/verify/", "/api/v1/integrations/readings/"


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def client_with(*scopes, channel="ivr", name=None):
    client = ApiClient(name=name or f"client-{uuid.uuid4().hex[:6]}", channel=channel, scopes=list(scopes))
    key = client.new_key()
    client.save()
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def post(api, path, body, key=None):
    return api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def reading_body(day=28100, night=14010, **extra):
    return {"account_number": "1000100001", "meter_serial": "02000007", "values": {"day": day, "night": night}, **extra}


def test_verify_returns_the_masked_address_meters_window_and_a_sentence_to_speak(two_zone_meter):
    api = client_with("accounts:verify")
    response = api.post(VERIFY, {"account_number": "1000100001", "meter_serial": "02000007"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["account_ending"] == "0001"
    assert "*" in body["address_masked"] and body["address_masked"] != two_zone_meter.account.address
    (meter,) = body["meters"]
    assert [zone["zone"] for zone in meter["zones"]] == ["day", "night"]
    assert meter["zones"][0]["labels"] == two_zone_meter.labels_for("day")
    assert meter["last_reading"] == {"reading_date": "2026-10-30", "values": {"day": 27893, "night": 13914}}
    assert body["window"]["policy"] == "open"
    assert body["speech"] == "Account ending 0001, two-zone meter. Say the day reading."


def test_verify_never_says_which_number_was_wrong(two_zone_meter):
    api = client_with("accounts:verify")
    wrong_serial = api.post(VERIFY, {"account_number": "1000100001", "meter_serial": "99999999"}, format="json")
    wrong_account = api.post(VERIFY, {"account_number": "1000100002", "meter_serial": "02000007"}, format="json")
    assert wrong_serial.status_code == wrong_account.status_code == 404
    assert wrong_serial.json() == wrong_account.json()
    assert wrong_serial.json()["error"]["code"] == "account_not_found"


@pytest.mark.parametrize(
    ("scopes", "method", "path", "status", "code"),
    [
        (["readings:write"], "post", VERIFY, 403, "permission_denied"),
        (["accounts:verify"], "post", READINGS, 403, "permission_denied"),
        (["readings:write"], "get", READINGS, 403, "permission_denied"),
        (["readings:write"], "get", "/api/v1/accounts/", 403, "permission_denied"),
    ],
)
def test_a_client_without_the_scope_is_refused(two_zone_meter, scopes, method, path, status, code):
    api = client_with(*scopes)
    response = getattr(api, method)(path, reading_body(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()


def test_no_key_or_a_revoked_key_is_401(two_zone_meter):
    anonymous = APIClient()
    assert anonymous.post(VERIFY, {}, format="json").json()["error"]["code"] == "not_authenticated"
    api = client_with("accounts:verify", name="revoked")
    ApiClient.objects.filter(name="revoked").update(is_active=False)
    response = api.post(VERIFY, {"account_number": "1000100001", "meter_serial": "02000007"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "authentication_failed")


def test_an_ivr_submits_a_two_zone_reading_that_the_customer_sees_with_its_channel(client, two_zone_meter):
    api = client_with("accounts:verify", "readings:write", channel="ivr")
    response = post(api, READINGS, reading_body())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "accepted" and body["consumption_kwh"] == {"day": 207, "night": 96}
    assert body["reading"]["channel"] == "ivr" and body["billing_month"] == "2026-11"
    assert body["speech"].startswith("Reading accepted: day 28100, night 14010.")

    client.force_login(two_zone_meter.account.links.get().user)
    page = client.get("/en/cabinet/accounts/1000100001/meters/02000007/history/").content.decode()
    assert "28100" in page and "voice menu" in page


def test_a_rejected_reading_is_422_with_the_zone_and_the_rule(two_zone_meter):
    api = client_with("readings:write")
    response = post(api, READINGS, reading_body(day=27000))
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert problem["code"] == "lower_than_previous" and problem["zone"] == "day"
    assert problem["message"].startswith("Day (")
    assert not Reading.objects.filter(day=27000, reading_date="2026-11-20").exists()


def test_a_retry_with_the_same_key_replays_the_first_answer_and_creates_nothing(two_zone_meter):
    api = client_with("readings:write")
    first = post(api, READINGS, reading_body(), key="retry-1")
    again = post(api, READINGS, reading_body(), key="retry-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Reading.objects.filter(reading_date="2026-11-20").count() == 1


def test_the_same_key_with_another_body_is_a_409(two_zone_meter):
    api = client_with("readings:write")
    post(api, READINGS, reading_body(), key="k-409")
    response = post(api, READINGS, reading_body(day=28200), key="k-409")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "idempotency_key_reused")
    assert list(Reading.objects.filter(reading_date="2026-11-20").values_list("day", flat=True)) == [28100]


def test_a_write_without_a_key_is_refused(two_zone_meter):
    api = client_with("readings:write")
    response = api.post(READINGS, reading_body(), format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "idempotency_key_required")
    assert not Reading.objects.filter(reading_date="2026-11-20").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_one_reading_and_get_the_same_answer(postgresql_only, kyiv):
    account = PersonalAccountFactory(district=kyiv, number="1000100001")
    MeterFactory(
        account=account, serial_number="02000007", zone_set="day+night", install_day=27000, install_night=13500
    )
    keyed = client_with("readings:write")
    results, barrier = [], threading.Barrier(2)

    def send():
        try:
            barrier.wait(timeout=10)
            results.append(post(keyed, READINGS, reading_body(), key="same-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [response.status_code for response in results] == [201, 201]
    assert results[0].json() == results[1].json()
    assert Reading.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_the_customer_sees_only_linked_accounts_and_submits_with_a_token(two_zone_meter):
    user = two_zone_meter.account.links.get().user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    PersonalAccountFactory(number="2000200002")  # somebody else's
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token = api.post("/api/v1/auth/token/", {"email": user.email, "password": "test-password-2026"}, format="json")
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    accounts = api.get("/api/v1/accounts/").json()
    assert [account["number"] for account in accounts] == ["1000100001"]
    assert api.get("/api/v1/accounts/2000200002/").status_code == 404
    assert api.get("/api/v1/accounts/2000200002/invoices/").status_code == 404
    response = post(
        api, "/api/v1/accounts/1000100001/meters/02000007/readings/", {"values": {"day": 28100, "night": 14010}}
    )
    assert response.status_code == 201 and response.json()["reading"]["channel"] == "api"
    readings = api.get("/api/v1/accounts/1000100001/meters/02000007/readings/").json()
    assert readings[0]["values"] == {"day": 28100, "night": 14010}


def test_a_wrong_password_gets_no_token(two_zone_meter):
    user = two_zone_meter.account.links.get().user
    response = APIClient().post("/api/v1/auth/token/", {"email": user.email, "password": "nope"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_credentials")


def test_messages_follow_accept_language(two_zone_meter):
    api = client_with("readings:write")
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE="uk")
    uk = post(api, READINGS, reading_body(day=27000)).json()["problems"][0]["message"]
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE="ru")
    ru = post(api, READINGS, reading_body(day=27000)).json()["problems"][0]["message"]
    assert uk.startswith("День") and ru.startswith("День") and uk != ru


def test_create_api_client_prints_the_key_once_and_stores_its_hash(capsys, two_zone_meter):
    call_command(
        "create_api_client", "Viber bot", "--channel", "chatbot", "--scopes", "accounts:verify", "readings:write"
    )
    key = capsys.readouterr().out.strip().splitlines()[-1]
    stored = ApiClient.objects.get(name="Viber bot")
    assert key not in (stored.key_hash, stored.key_prefix) and stored.scopes == ["accounts:verify", "readings:write"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert (
        api.post(VERIFY, {"account_number": "1000100001", "meter_serial": "02000007"}, format="json").status_code == 200
    )


def test_the_docs_page_and_the_schema_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"//cdn" not in docs.content  # assets are served from here (drf-spectacular-sidecar)


def test_ping_answers_anyone():
    assert APIClient().get("/api/v1/ping/").json() == {"status": "ok"}


def test_a_submission_is_one_statement_of_facts_and_one_write(two_zone_meter, django_assert_num_queries):
    """The month-end hot path (issue 14): PostgreSQL gets one SELECT ... FOR UPDATE that finds the meter by
    its two numbers and reads every fact, then one statement that inserts the reading and the idempotency
    record, between BEGIN and COMMIT (the API client is cached per process, so a warm-up request pays for
    it). SQLite keeps the ORM path."""
    api = client_with("readings:write")
    post(api, READINGS, reading_body(night=13914, day=27893) | {"reading_date": "2026-11-19"})  # warm-up
    expected = 4 if connection.vendor == "postgresql" else 14
    with django_assert_num_queries(expected) as captured:
        response = post(api, READINGS, reading_body())
    assert response.status_code == 201 and response.json()["consumption_kwh"] == {"day": 207, "night": 96}
    if connection.vendor == "postgresql":
        # Inside the test's own transaction BEGIN and COMMIT are a savepoint and its release.
        words = {"SAVEPOINT": "BEGIN", "RELEASE": "COMMIT"}
        statements = [words.get(word, word) for word in (query["sql"].split()[0] for query in captured)]
        assert statements == ["BEGIN", "SELECT", "WITH", "COMMIT"], statements
        assert "FOR UPDATE OF m" in captured.captured_queries[1]["sql"]
        assert "INSERT INTO portal_idempotencyrecord" in captured.captured_queries[2]["sql"]
    stored = Reading.objects.get(pk=response.json()["reading"]["id"])
    record = IdempotencyRecord.objects.get(response_body__reading__id=stored.pk)  # the id filled in by the INSERT
    assert record.response_body == response.json() and record.status_code == 201


@pytest.mark.parametrize(
    ("values", "reading_date"),
    [
        ({"day": "28100", "night": "14010"}, "2026-11-20"),  # accepted
        ({"day": "27000", "night": "14010"}, "2026-11-20"),  # rejected, a problem per zone
        ({"day": "13950", "night": "28000"}, "2026-11-20"),  # the swap question
        ({"day": "27893", "night": "13914"}, "2026-10-30"),  # a duplicate of the stored reading
    ],
)
def test_the_plain_submit_answer_is_what_the_serializer_would_give(two_zone_meter, values, reading_date):
    """The API answers a submission with plain values (presenters.submit_json) instead of instantiating
    SubmitOutSerializer per request: both must give the client the same JSON."""
    import datetime

    from django.utils import timezone

    from portal.api.presenters import submit_data, submit_json
    from portal.api.serializers import SubmitOutSerializer
    from readings.services import reading_submit

    outcome = reading_submit(
        meter=two_zone_meter,
        values=values,
        reading_date=datetime.date.fromisoformat(reading_date),
        channel="api",
        submitted_by=None,
        now=timezone.now(),
        today=timezone.localdate(),
    )
    assert submit_json(outcome, two_zone_meter) == SubmitOutSerializer(submit_data(outcome, two_zone_meter)).data


def test_integration_requests_take_the_lean_stack_with_its_language_and_security_headers(two_zone_meter):
    """The integration API skips the browser's middleware (sessions, CSRF, auditlog, staff audit, messages,
    the page's CSP, allauth: portal.middleware.LEAN_MIDDLEWARE) but keeps the language of Accept-Language,
    the security headers and the JSON errors; every other path keeps the whole stack."""
    api = client_with("readings:write")
    api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE="uk")
    stored = post(api, READINGS, reading_body())
    assert stored.status_code == 201 and stored.json()["message"].startswith("Покази прийнято")
    refused = post(api, READINGS, reading_body(day=1))
    assert refused.status_code == 422 and refused.json()["problems"][0]["code"] == "lower_than_previous"
    assert "менше за ваші останні покази" in refused.json()["problems"][0]["message"]
    unknown = post(api, READINGS, reading_body(meter_serial="99999999"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "account_not_found"
    for response in (stored, refused, unknown):
        assert response["Content-Language"] == "uk"
        assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response and "sessionid" not in response.cookies
    assert "Content-Security-Policy" in APIClient().get("/api/v1/ping/")


def test_a_same_day_correction_supersedes_and_its_retry_replays_the_new_reading(two_zone_meter):
    """The correction's statement supersedes the first reading, inserts the new one and records the answer
    with the new reading's id (one statement on PostgreSQL); its retry replays exactly that answer."""
    api = client_with("readings:write")
    first = post(api, READINGS, reading_body(), key="first")
    corrected = post(api, READINGS, reading_body(day=28150), key="correction")
    assert (first.status_code, corrected.status_code) == (201, 201)
    new_id = corrected.json()["reading"]["id"]
    assert new_id != first.json()["reading"]["id"] and corrected.json()["consumption_kwh"] == {"day": 257, "night": 96}
    assert Reading.objects.get(pk=first.json()["reading"]["id"]).superseded_at is not None
    assert Reading.objects.current().get(reading_date="2026-11-20").pk == new_id
    again = post(api, READINGS, reading_body(day=28150), key="correction")
    assert again.json() == corrected.json() and again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.get(key="correction").response_body["reading"]["id"] == new_id


def test_the_customer_api_writes_its_reading_and_record_as_the_integration_api_does(two_zone_meter):
    """The mobile app's submission takes the same fast path once its meter is found: the facts statement by
    id, then one statement for the reading and its idempotency record (on PostgreSQL); a retry replays it."""
    from rest_framework.authtoken.models import Token

    user = two_zone_meter.account.links.get().user
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    path = "/api/v1/accounts/1000100001/meters/02000007/readings/"
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        first = post(api, path, {"values": {"day": 28100, "night": 14010}}, key="app-1")
    assert first.status_code == 201 and first.json()["consumption_kwh"] == {"day": 207, "night": 96}
    writes = [query["sql"] for query in captured if "INSERT INTO" in query["sql"]]
    if connection.vendor == "postgresql":
        assert len(writes) == 1 and "portal_idempotencyrecord" in writes[0] and "readings_reading" in writes[0]
    again = post(api, path, {"values": {"day": 28100, "night": 14010}}, key="app-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    record = IdempotencyRecord.objects.get(key="app-1")
    assert (
        record.response_body["reading"]["id"]
        == first.json()["reading"]["id"]
        == Reading.objects.get(reading_date="2026-11-20").pk
    )
