"""The portal's URLs plus pages that fail on purpose, so the tests see each error page as a customer would."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def broken(request):
    raise RuntimeError("a bug on purpose")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("broken/", broken),
    path("ru/broken/", broken),
    path("forbidden/", forbidden),
    path("ru/forbidden/", forbidden),
    *portal_urlpatterns,
]
