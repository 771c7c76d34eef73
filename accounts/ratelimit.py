"""The portal's one rate-limit module: every limit of every channel is counted here.

Used where a stranger could otherwise guess or flood: linking an account, the public reading form, SMS and
Telegram, the API's token and verify calls (through `ScopedLimitThrottle`, DRF's `throttle_scope`), and
allauth's login, signup and password-reset limits (allauth counts in the default cache, which is
`FailOpenRedisCache` below). Counters are per scope and per identity (a user id, a client address), in
Redis, so limits hold across web processes and machines.

When Redis is down, a limit must not turn a login into a 500: the counters fall back to an in-process
store (so each web process limits on its own: a looser limit, never none) and a warning is logged once
per outage. docs/operations.md "Redis down" says what customers and staff see.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

REDIS_DOWN_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
# After a failure, go straight to the local store this long, so a dead Redis costs one failed connect
# per process every few seconds, not one per request.
RETRY_REDIS_AFTER_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache that answers from an in-process LocMemCache while Redis is unreachable.

    The default cache holds rate-limit counters only (sessions are in the database), so falling back to a
    per-process store loses nothing but the limits' sharing between processes for the outage.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._local = LocMemCache(f"fail-open-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 50_000}})
        self._redis_back_at = 0.0
        self._lock = threading.Lock()

    def _redis_failed(self, operation: str, error: Exception) -> None:
        with self._lock:
            was_up = self._redis_back_at == 0.0
            self._redis_back_at = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
        if was_up:
            logger.warning(
                "Redis unreachable (%s on %s: %s): rate limits count in this process only until it is back",
                type(error).__name__,
                operation,
                error,
            )

    def _redis_answered(self) -> None:
        if self._redis_back_at:
            with self._lock:
                self._redis_back_at = 0.0
            logger.warning("Redis reachable again: rate limits are shared between processes again")


def _fail_open(name: str):
    redis_method = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if time.monotonic() >= self._redis_back_at:
            try:
                result = redis_method(self, *args, **kwargs)
            except REDIS_DOWN_ERRORS as error:
                self._redis_failed(name, error)
            else:
                self._redis_answered()
                return result
        return getattr(self._local, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = redis_method.__doc__
    return method


CACHE_OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)
for _name in CACHE_OPERATIONS:
    setattr(FailOpenRedisCache, _name, _fail_open(_name))


@dataclass(frozen=True)
class Limit:
    attempts: int
    window_seconds: int

    @classmethod
    def from_rate(cls, rate: str) -> "Limit":
        """DRF's spelling, "600/minute" or "20/hour" (also "5/s", "100/day")."""
        count, period = rate.split("/")
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0].lower()]
        return cls(int(count), seconds)


def _key(scope: str, identity: str) -> str:
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}"


def limit_reached(scope: str, identity: str, limit: Limit) -> bool:
    return (cache.get(_key(scope, identity)) or 0) >= limit.attempts


def attempt_count(scope: str, identity: str, limit: Limit) -> int:
    """Count one attempt; the window starts with the first attempt and is not extended by later ones."""
    key = _key(scope, identity)
    cache.add(key, 0, timeout=limit.window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.window_seconds)
        return 1


def attempts_clear(scope: str, identity: str) -> None:
    cache.delete(_key(scope, identity))


@dataclass(frozen=True)
class GrowingDelay:
    """Failures on one target slow the next attempt instead of blocking it: after `free` failures in
    `window_seconds`, each attempt must wait 1, 2, 4, ... seconds after the last failure, at most `max_seconds`."""

    free: int
    window_seconds: int
    max_seconds: int

    def wait_after(self, failures: int) -> int:
        if failures <= self.free:
            return 0
        return min(self.max_seconds, 2 ** min(failures - self.free - 1, 30))


def delay_remaining(scope: str, identity: str, delay: GrowingDelay, *, now: float) -> float:
    """Seconds the next attempt on `identity` must still wait (0 = go ahead)."""
    key = _key(scope, identity)
    failures = cache.get(key) or 0
    last = cache.get(f"{key}:last") or 0.0
    return max(0.0, last + delay.wait_after(failures) - now)


def delay_failure_count(scope: str, identity: str, delay: GrowingDelay, *, now: float) -> int:
    """Count one failure on `identity` and remember when it happened; returns the failures in the window."""
    failures = attempt_count(scope, identity, Limit(2**31, delay.window_seconds))
    cache.set(f"{_key(scope, identity)}:last", now, timeout=delay.window_seconds)
    return failures


def client_ip(request) -> str:
    """The client's address. Behind TRUSTED_PROXY_COUNT proxies, the address the outermost one saw.

    With no trusted proxy (the default) X-Forwarded-For is ignored: a client could write anything there.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ScopedLimitThrottle(BaseThrottle):
    """DRF's `throttle_scope` counted by this module: the rate is REST_FRAMEWORK's DEFAULT_THROTTLE_RATES
    entry of the view's scope, per integration client, else per user, else per client address."""

    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(scope) if scope else None
        if not rate:
            return True
        self.limit = Limit.from_rate(rate)
        client_pk = getattr(request.auth, "pk", None) if request.auth is not None else None
        if client_pk is not None and not getattr(request.user, "is_authenticated", False):
            identity = f"client:{client_pk}"
        elif getattr(request.user, "is_authenticated", False):
            identity = f"user:{request.user.pk}"
        else:
            identity = f"ip:{client_ip(request)}"
        return attempt_count(f"api:{scope}", identity, self.limit) <= self.limit.attempts

    def wait(self):
        return self.limit.window_seconds
