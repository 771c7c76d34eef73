"""The portal's one HTTP client for calls out to other services (Viber, Facebook Messenger, Telegram's file
API, ...): every outbound call goes through `post_json`, `get_json` or `get_bytes`, so each has a connect
and a read timeout, retries transient failures (connection refused, 429 and 5xx, honouring Retry-After)
with a short backoff, and raises one error type the caller can log. It lives in the lowest app so that
every channel may use it.

A download (`get_bytes`: a photo a messenger user sent) is streamed and cut off at a size limit, so a
huge or endless body costs at most that much memory.

A send is retried on a connect error or a refusing status, where the other side did not act on it; a read
timeout is not retried, because the message may have gone out and a second one would be a duplicate.
"""

import logging
from functools import lru_cache

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)


class OutboundError(Exception):
    """An outbound call failed after its retries (or the answer was not JSON)."""


@lru_cache(maxsize=1)
def _session() -> requests.Session:
    retries = settings.OUTBOUND_HTTP_RETRIES
    retry = Retry(
        total=retries,
        connect=retries,
        read=0,
        status=retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=settings.OUTBOUND_HTTP_BACKOFF_SECONDS,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=20)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "energy-portal/1.0"
    return session


def _timeout() -> tuple[float, float]:
    return (settings.OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS, settings.OUTBOUND_HTTP_READ_TIMEOUT_SECONDS)


def _where(url: str) -> str:
    """The URL without its query, for errors and logs (a query or a path may carry a token: cut at /bot)."""
    base = url.split("?")[0]
    return base.split("/bot")[0] + "/bot…" if "/bot" in base else base


def post_json(url: str, payload: dict, *, headers: dict | None = None, params: dict | None = None) -> dict:
    """POST `payload` as JSON; the decoded JSON answer of a 2xx, else OutboundError."""
    try:
        response = _session().post(url, json=payload, headers=headers, params=params, timeout=_timeout())
    except requests.RequestException as error:
        raise OutboundError(f"{url.split('?')[0]}: {type(error).__name__}") from error
    if not 200 <= response.status_code < 300:
        raise OutboundError(f"{url.split('?')[0]}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        raise OutboundError(f"{url.split('?')[0]}: the answer is not JSON") from error


def get_json(url: str, *, params: dict | None = None, headers: dict | None = None) -> dict:
    """GET; the decoded JSON answer of a 2xx, else OutboundError (a read is retried like a refused send)."""
    try:
        response = _session().get(url, params=params, headers=headers, timeout=_timeout())
    except requests.RequestException as error:
        raise OutboundError(f"{_where(url)}: {type(error).__name__}") from error
    if not 200 <= response.status_code < 300:
        raise OutboundError(f"{_where(url)}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as error:
        raise OutboundError(f"{_where(url)}: the answer is not JSON") from error


class TooLarge(OutboundError):
    """The body is longer than the caller's limit: nothing beyond the limit was read."""


def get_bytes(url: str, *, max_bytes: int, headers: dict | None = None) -> bytes:
    """GET a file (a photo a messenger user sent); its bytes, at most `max_bytes`, else TooLarge/OutboundError."""
    try:
        with _session().get(url, headers=headers, timeout=_timeout(), stream=True) as response:
            if not 200 <= response.status_code < 300:
                raise OutboundError(f"{_where(url)}: HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(f"{_where(url)}: {declared} bytes, more than {max_bytes}")
            body = bytearray()
            for chunk in response.iter_content(chunk_size=64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise TooLarge(f"{_where(url)}: more than {max_bytes} bytes")
            return bytes(body)
    except requests.RequestException as error:
        raise OutboundError(f"{_where(url)}: {type(error).__name__}") from error
