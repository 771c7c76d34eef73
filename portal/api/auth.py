"""Who is calling: an integration client by its Bearer key (with scopes), or a customer (token or session)."""

import hmac
import time

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from portal.models import KEY_PREFIX_LENGTH, ApiClient, key_hash

# A client's row, per process, for a few seconds: an integration sends hundreds of requests a second and
# its row rarely changes. Revoking (is_active off, a new key) takes effect within CLIENT_CACHE_SECONDS.
CLIENT_CACHE_SECONDS = 10
_clients: dict[str, tuple[float, ApiClient]] = {}


def _client_for(key: str) -> ApiClient | None:
    digest = key_hash(key)
    cached = _clients.get(digest)
    if cached and time.monotonic() - cached[0] < CLIENT_CACHE_SECONDS:
        return cached[1]
    client = ApiClient.objects.filter(key_prefix=key[:KEY_PREFIX_LENGTH], is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, digest):
        _clients.pop(digest, None)
        return None
    if len(_clients) > 1000:
        _clients.clear()
    _clients[digest] = (time.monotonic(), client)
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        client.last_used_at = now
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)  # at most once a minute
    return client


class ApiClientAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`. Only the key's SHA-256 is stored; the prefix finds the row."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        client = _client_for(parts[1].decode("latin-1"))
        if client is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return AnonymousUser(), client

    def authenticate_header(self, request):
        return "Bearer"


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api.auth.ApiClientAuthentication"
    name = "integrationKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An integration client's key (create_api_client)."}


def calling_client(request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


class IsCustomer(BasePermission):
    """A signed-in customer (session or token), never an integration client."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and calling_client(request) is None)


def scope_permission(scope: str) -> type[BasePermission]:
    """An integration client holding `scope`."""

    class HasScope(BasePermission):
        message = f"This API key lacks the scope {scope}."

        def has_permission(self, request, view):
            client = calling_client(request)
            return client is not None and client.has_scope(scope)

    HasScope.__name__ = f"HasScope_{scope.replace(':', '_')}"
    return HasScope
