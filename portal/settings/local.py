"""Local development (`make run`): DEBUG on unless the environment says otherwise."""

from portal.settings.base import *  # noqa: F403
from portal.settings.environment import env_bool

DEBUG = env_bool("DEBUG", default=True)

# Serve static files straight from the app folders; no collectstatic needed outside production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
