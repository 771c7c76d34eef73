"""Settings come from the environment with safe local defaults; production refuses to start half-configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings.environment import (
    SettingValueError,
    env_bool,
    env_int,
    env_list,
    redis_databases_for_tests,
    redis_url_for_cache,
    redis_url_for_celery,
    redis_url_with_db,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), (" Yes ", True), ("on", True), ("0", False), ("off", False), ("", False)],
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG") is expected


def test_env_bool_default_and_garbage(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", default=True) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(SettingValueError, match="FLAG must be one of"):
        env_bool("FLAG")


def test_env_list_and_int(monkeypatch):
    monkeypatch.setenv("HOSTS", " portal.example.com, ,api.example.com ")
    assert env_list("HOSTS") == ["portal.example.com", "api.example.com"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", default=["localhost"]) == ["localhost"]
    monkeypatch.setenv("PORT_X", "8001")
    assert env_int("PORT_X", 1) == 8001
    monkeypatch.setenv("PORT_X", "eighty")
    with pytest.raises(SettingValueError, match="PORT_X must be an integer"):
        env_int("PORT_X", 1)


@pytest.mark.parametrize(
    ("url", "celery", "cache", "db9"),
    [
        ("redis://10.0.0.5:6379/0", "redis://10.0.0.5:6379/0", "redis://10.0.0.5:6379/0", "redis://10.0.0.5:6379/9"),
        (
            "redis+socket:///run/r.sock",
            "redis+socket:///run/r.sock",
            "unix:///run/r.sock",
            "redis+socket:///run/r.sock?virtual_host=9",
        ),
        ("unix:///run/r.sock", "redis+socket:///run/r.sock", "unix:///run/r.sock", "unix:///run/r.sock?db=9"),
    ],
)
def test_redis_urls_for_each_client(url, celery, cache, db9):
    assert redis_url_for_celery(url) == celery
    assert redis_url_for_cache(url) == cache
    assert redis_url_with_db(url, 9) == db9


@pytest.mark.parametrize(
    "url, databases",
    [
        ("redis://127.0.0.1:6379", (9, 10)),
        ("redis://127.0.0.1:6379/0", (9, 10)),
        ("redis://127.0.0.1:6379/1", (16, 17)),
        ("redis://127.0.0.1:6379/8", (30, 31)),
        ("redis+socket:///run/r.sock", (9, 10)),
    ],
)
def test_test_runs_on_one_redis_server_use_separate_databases(url, databases):
    assert redis_databases_for_tests(url) == databases


def settings_in_subprocess(module: str, env: dict, *expressions: str) -> subprocess.CompletedProcess:
    """Load a settings module in a fresh interpreter with only `env` set; print the expressions."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "DEBUG", "TIME_ZONE", "CURRENCY")
        and key != "PORTAL_URL"
        and not key.startswith("SUPPLIER_")
    }
    code = (
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = '{module}'; django.setup(); "
        f"from django.conf import settings; print({', '.join(expressions)})"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_local_defaults_are_safe_and_complete():
    result = settings_in_subprocess(
        "portal.settings.local",
        {},
        "settings.TIME_ZONE",
        "settings.CURRENCY",
        "settings.DATABASES['default']['ENGINE']",
        "settings.REDIS_IS_EMBEDDED",
        "settings.LANGUAGE_CODE",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Europe/Kyiv UAH django.db.backends.sqlite3 True uk"


@pytest.mark.parametrize(("raw", "threshold"), [(None, "5"), ("2", "2"), ("off", "None")])
def test_postgresql_prepares_the_submission_statements_unless_told_not_to(raw, threshold):
    """psycopg prepares the reading submission's server-bound statements after DATABASE_PREPARE_THRESHOLD runs
    on a connection; `off` turns it off (a PgBouncer older than 1.21 in transaction mode)."""
    env = {"DATABASE_URL": "postgres://u:p@db.internal:5432/portal"}
    if raw is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = raw
    result = settings_in_subprocess("portal.settings.local", env, "settings.DATABASES['default']['OPTIONS']")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{{'prepare_threshold': {threshold}}}"


def test_variables_override_the_defaults():
    result = settings_in_subprocess(
        "portal.settings.local",
        {
            "DATABASE_URL": "postgres://u:p@db.internal:5432/portal",
            "REDIS_URL": "redis://cache.internal:6379/2",
            "TIME_ZONE": "Europe/Moscow",
            "CURRENCY": "rub",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "a.example,b.example",
        },
        "settings.DATABASES['default']['HOST']",
        "settings.CELERY_BROKER_URL",
        "settings.TIME_ZONE",
        "settings.CURRENCY",
        "settings.DEBUG",
        "settings.ALLOWED_HOSTS",
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "db.internal redis://cache.internal:6379/2 Europe/Moscow RUB False ['a.example', 'b.example']"
    )


def test_production_refuses_to_start_without_its_variables():
    result = settings_in_subprocess("portal.settings.production", {"SECRET_KEY": "x" * 60}, "'started'")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL, REDIS_URL, ALLOWED_HOSTS" in result.stderr
    assert "started" not in result.stdout


PRODUCTION_ENV = {
    "SECRET_KEY": "prod-test-0f8e7d6c5b4a39281706f5e4d3c2b1a0-a-long-random-looking-value",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_URL": "https://portal.example.com",
    # A real-looking supplier (valid checksums) that is not the demo one.
    "SUPPLIER_LEGAL_NAME": 'ТОВ "Київенергозбут-Тест"',
    "SUPPLIER_CODE": "40000006",
    "SUPPLIER_IBAN": "UA223052990000026001234567890",
    "SUPPLIER_BANK": 'АТ "Тестовий Банк"',
    "SUPPLIER_ADDRESS": "вул. Тестова, 1, Київ, 01001",
    "SUPPLIER_PHONE": "0 800 111 111",
}
BASE_ONLY = {key: PRODUCTION_ENV[key] for key in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")}


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    # A test-only variable (Playwright needs it) that production must never carry.
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE") and not key.startswith("SUPPLIER_")
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "portal.settings.production"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_the_supplier_and_the_public_address():
    result = settings_in_subprocess("portal.settings.production", BASE_ONLY, "'started'")
    assert result.returncode != 0 and "started" not in result.stdout
    assert (
        "need these environment variables: PORTAL_URL, SUPPLIER_LEGAL_NAME, SUPPLIER_CODE, SUPPLIER_IBAN, "
        "SUPPLIER_BANK, SUPPLIER_ADDRESS, SUPPLIER_PHONE" in result.stderr
    )


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"SUPPLIER_IBAN": "UA223052990000026001234567891"}, "SUPPLIER_IBAN is not a valid Ukrainian IBAN"),
        ({"SUPPLIER_CODE": "40000007"}, "SUPPLIER_CODE is not a valid EDRPOU"),
        ({"SUPPLIER_LEGAL_NAME": "Т" * 71}, "SUPPLIER_LEGAL_NAME has 71 characters; the payment QR holds 70"),
        ({"SUPPLIER_DISTRICTS": "DEK"}, "SUPPLIER_DEK_LEGAL_NAME is not set"),
        (
            {"CURRENCY": "RUB", "SUPPLIER_BIC": "044525225", "SUPPLIER_CORRESP_ACCOUNT": "30101810400000000225",
             "SUPPLIER_KPP": "770901001", "SUPPLIER_CODE": "7709123453", "SUPPLIER_IBAN": "40702810938000012346"},
            "SUPPLIER_IBAN is not a 20-digit account whose control key matches SUPPLIER_BIC",
        ),
    ],
)  # fmt: skip
def test_production_refuses_to_start_with_a_wrong_supplier_detail(changed, message):
    result = settings_in_subprocess("portal.settings.production", {**PRODUCTION_ENV, **changed}, "'started'")
    assert result.returncode != 0 and "started" not in result.stdout
    assert "The supplier's payment details are wrong" in result.stderr and message in result.stderr, result.stderr


def test_check_deploy_with_a_demo_supplier_fails_naming_each_setting():
    demo = {"SUPPLIER_IBAN": "UA193000010000026009876543210", "SUPPLIER_CODE": "43123452"}
    result = check_deploy({**PRODUCTION_ENV, **demo})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "(portal.W001) SUPPLIER_IBAN is the demo supplier's value" in output
    assert "(portal.W001) SUPPLIER_CODE is the demo supplier's value" in output
    assert "SUPPLIER_LEGAL_NAME is the demo" not in output  # only what is demo is named


def test_check_deploy_names_a_local_address_and_a_local_webhook_secret():
    result = check_deploy(
        {**PRODUCTION_ENV, "PORTAL_URL": "http://127.0.0.1:8000", "SMS_WEBHOOK_SECRET": "local-sms-secret"}
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "(portal.W002) PORTAL_URL is 'http://127.0.0.1:8000'" in output
    assert "(portal.W003) SMS_WEBHOOK_SECRET is the local development secret" in output


def test_production_refuses_debug():
    result = settings_in_subprocess("portal.settings.production", {**PRODUCTION_ENV, "DEBUG": "1"}, "'started'")
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_passes_check_deploy():
    result = check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_make_test_runs_pytest_with_the_test_settings(tmp_path):
    """The launcher must not hand its own local default to the command it wraps."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["EMBEDDED_REDIS_SOCKET"] = str(tmp_path / "redis.sock")
    probe = "import os; print('settings=' + str(os.environ.get('DJANGO_SETTINGS_MODULE')))"
    result = subprocess.run(
        [sys.executable, "-m", "portal.launcher", "exec", "--", sys.executable, "-c", probe],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "settings=None" in result.stdout, result.stdout + result.stderr


def test_links_in_background_emails_follow_the_port_make_run_serves():
    """`PORT=18110 make run`: the worker's emails link to port 18110, not 8000; PORTAL_URL, when set, wins."""
    link = "__import__('accounts.services', fromlist=['absolute_url']).absolute_url('cabinet', language='ru')"
    on_port = settings_in_subprocess("portal.settings.local", {"PORT": "18110", "PORTAL_URL": ""}, link)
    assert on_port.returncode == 0, on_port.stderr
    assert on_port.stdout.strip() == "http://127.0.0.1:18110/ru/cabinet/"
    public = settings_in_subprocess(
        "portal.settings.local", {"PORT": "18110", "PORTAL_URL": "https://portal.example/"}, link
    )
    assert public.stdout.strip() == "https://portal.example/ru/cabinet/"
