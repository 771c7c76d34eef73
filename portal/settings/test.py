"""Settings for pytest: same services as configured (PostgreSQL/Redis in CI), fast hashing, no real mail."""

from portal.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# Each test run gets its own cache key space so parallel runs on one Redis do not collide.
CACHES["default"]["KEY_PREFIX"] = "portal-test"  # noqa: F405
