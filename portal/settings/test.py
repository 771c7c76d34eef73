"""Settings for pytest: same services as configured (PostgreSQL/Redis in CI), fast hashing, no real mail."""

from portal.settings.base import *  # noqa: F403
from portal.settings.environment import redis_url_for_cache, redis_url_for_celery, redis_url_with_db

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405

# Tests use their own Redis databases, so a `make run` on the same server neither answers their
# pings nor takes their tasks.
TEST_REDIS_URL = redis_url_with_db(REDIS_URL, 9)  # noqa: F405
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = redis_url_for_celery(TEST_REDIS_URL)
CACHES["default"]["LOCATION"] = redis_url_with_db(redis_url_for_cache(REDIS_URL), 10)  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "portal-test"  # noqa: F405

# Serve static files straight from the app folders; no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
