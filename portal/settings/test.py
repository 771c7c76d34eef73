"""Settings for pytest: same services as configured (PostgreSQL/Redis in CI), fast hashing, no real mail."""

from portal.settings.base import *  # noqa: F403
from portal.settings.environment import (
    redis_databases_for_tests,
    redis_url_for_cache,
    redis_url_for_celery,
    redis_url_with_db,
)

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405

# Tests use their own Redis databases, so a `make run` on the same server neither answers their
# pings nor takes their tasks: 9 (Celery) and 10 (cache) when REDIS_URL names database 0 or none;
# when it names database N (1-8: several checkouts sharing one server), 16+2(N-1) and the one after,
# so two test runs never flush each other's cache or purge each other's queue.
TEST_REDIS_CELERY_DB, TEST_REDIS_CACHE_DB = redis_databases_for_tests(REDIS_URL)  # noqa: F405
TEST_REDIS_URL = redis_url_with_db(REDIS_URL, TEST_REDIS_CELERY_DB)  # noqa: F405
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = redis_url_for_celery(TEST_REDIS_URL)
CACHES["default"]["LOCATION"] = redis_url_with_db(redis_url_for_cache(REDIS_URL), TEST_REDIS_CACHE_DB)  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "portal-test"  # noqa: F405

# Serve static files straight from the app folders; no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
