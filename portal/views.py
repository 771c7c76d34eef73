"""Pages that belong to the portal as a whole: the home page and the health probe."""

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.languages import path_in_language
from accounts.services import user_language_set
from portal.health import OK, portal_health, readiness
from portal.selectors import district_window_statuses


@require_GET
def home(request):
    return render(request, "portal/home.html", {"district_windows": district_window_statuses()})


@never_cache
@require_GET
def health_live(request):
    """The process answers: for a load balancer's liveness probe (restart the node when this fails)."""
    return JsonResponse({"status": OK})


@never_cache
@require_GET
def health_ready(request):
    """The node can serve customers (the database answers): for the load balancer's pool. A broker that
    does not answer is a warning only; the web keeps working and queued work waits for the sweepers."""
    ready, body = readiness()
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
@require_GET
def health(request):
    checks = portal_health()
    down = [name for name, state in checks.items() if state != OK]
    body = dict(checks)
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


@require_POST
def language_switch(request):
    """Switch language and stay on the same page: `/en/x/` <-> `/x/` <-> `/ru/x/`.

    Django's set_language cannot translate a prefixed URL back to the unprefixed default language,
    so the prefix is swapped here. A logged-in user's choice is also kept for their emails and bills.
    """
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if language not in dict(settings.LANGUAGES):
        return HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
    response = HttpResponseRedirect(path_in_language(next_url, language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def server_error(request):
    """Django's 500 handler: an error raised outside any view (a middleware reading the session while the
    database restarts) still answers the 503 page when the database is the cause, JSON on the machines'
    endpoints, and Django's 500 page otherwise."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.views.defaults import server_error as django_server_error

    from portal.middleware import MACHINE_PREFIXES, machine_error, unavailable_response

    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return unavailable_response(request, error)
    if request.path_info.startswith(MACHINE_PREFIXES):
        return machine_error(500)
    return django_server_error(request)
