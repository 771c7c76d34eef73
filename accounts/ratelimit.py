"""Fixed-window attempt counters in the shared cache (Redis), for guessable lookups.

Used where a stranger could otherwise enumerate account numbers and meter serials: linking an account,
the public reading form, the channel API's verify call. Counters are per scope and per identity (a
user id, a client address), so limits hold across web processes and machines.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    attempts: int
    window_seconds: int


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


def client_ip(request) -> str:
    """The client's address. Behind TRUSTED_PROXY_COUNT proxies, the address the outermost one saw.

    With no trusted proxy (the default) X-Forwarded-For is ignored: a client could write anything there.
    """
    from django.conf import settings

    proxies = settings.TRUSTED_PROXY_COUNT
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies and len(hops) >= proxies:
        return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
