"""Language for machines' endpoints.

Django's LocaleMiddleware gives every path without a language prefix the default language (the site's
Ukrainian pages have no prefix). The API and the channel webhooks have no prefix either; their callers say
what they want in `Accept-Language`, which this middleware honours after LocaleMiddleware.
"""

from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.utils import translation
from django.utils.module_loading import import_string

MACHINE_PREFIXES = ("/api/", "/channels/")


class AcceptLanguageForMachinesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(MACHINE_PREFIXES):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class DependencyUnavailableMiddleware:
    """A page that needs the database while it is down answers 503 "try again in a few minutes" in the
    portal's design (JSON on the machines' endpoints), never a traceback; with a log line for staff.

    The page is rendered without the request's context: the user, the session and the footer's district
    contacts all live in the database that just failed.
    """

    RETRY_AFTER_SECONDS = 120

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        return unavailable_response(request, exception)


def unavailable_response(request, exception):
    import logging

    from django.http import HttpResponse, JsonResponse
    from django.template.loader import render_to_string
    from django.utils.translation import gettext

    logging.getLogger(__name__).error(
        "%s %s answered 503, the database is unavailable: %s: %s",
        request.method,
        request.path,
        type(exception).__name__,
        exception,
    )
    message = gettext("The service is temporarily unavailable. Please try again in a few minutes.")
    if request.path_info.startswith(MACHINE_PREFIXES):
        from portal.api.errors import error_body

        response = JsonResponse(error_body("unavailable", message), status=503)
    else:
        html = render_to_string("portal/unavailable.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(DependencyUnavailableMiddleware.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class MachineErrorsAsJsonMiddleware:
    """On the machines' endpoints (/api/, /channels/) every error is JSON in the API's shape
    (`{"error": {"code", "message", "fields"}}`), whatever raised it: Django's own 404, 405, 400, a body
    over DATA_UPLOAD_MAX_MEMORY_SIZE (413), a crash (500). A bot or a gateway parses JSON, not an HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        machine = request.path_info.startswith(MACHINE_PREFIXES)
        if machine and _declares_too_big_body(request):
            return machine_error(413)
        response = self.get_response(request)
        # Django's own error pages are HTML; a view that chose another type (Meta's plain-text webhook
        # handshake) keeps its answer.
        if machine and response.status_code >= 400 and "text/html" in response.get("Content-Type", ""):
            return machine_error(response.status_code, like=response)
        return response

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig) and request.path_info.startswith(MACHINE_PREFIXES):
            return machine_error(413)
        return None


def _declares_too_big_body(request) -> bool:
    """A JSON (not multipart: its files do not count) body declared larger than Django will read."""
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit and not request.content_type.startswith("multipart/")


def machine_error(status: int, like=None):
    from django.http import JsonResponse
    from django.utils.translation import gettext

    from portal.api.errors import error_body

    known = {
        400: ("bad_request", gettext("The request is not valid.")),
        403: ("permission_denied", gettext("You may not do this with these credentials.")),
        404: ("not_found", gettext("Not found.")),
        405: ("method_not_allowed", gettext("This method is not allowed here.")),
        413: ("too_large", gettext("The request body is too large.")),
        429: ("rate_limited", gettext("Too many requests. Try again later.")),
    }
    code, message = known.get(status, ("server_error" if status >= 500 else "error", ""))
    if not message:
        message = gettext("Something went wrong on our side. Try again later.")
    response = JsonResponse(error_body(code, message), status=status)
    for header in ("Allow", "Retry-After"):
        if like is not None and like.has_header(header):
            response[header] = like[header]
    return response


# The integration clients' endpoints (Bearer key, no cookies, no pages): the month-end hot path. They skip
# what only a browser's request needs: static files, the session, CSRF, the signed-in user, auditlog's actor
# (an integration is never a signed-in user, and these endpoints write no audited model), the staff audit
# (staff never call with a Bearer key), messages, the page's Content-Security-Policy and allauth. Their
# authentication (the key), scopes, throttles and idempotency are DRF's and unchanged; the rest of the stack
# (security headers and redirects, the language from Accept-Language, JSON errors, 503 when the database is
# down) runs as for every request. In the profile of a submission the skipped middleware was about a
# fifth of the CPU (bench/RESULTS.md, issue 14).
LEAN_PREFIXES = ("/api/v1/integrations/",)
LEAN_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.AcceptLanguageForMachinesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.MachineErrorsAsJsonMiddleware",
    "portal.middleware.DependencyUnavailableMiddleware",
)


class LeanMachinePathsMiddleware:
    """First in MIDDLEWARE: a request under LEAN_PREFIXES goes through LEAN_MIDDLEWARE (each a member of
    MIDDLEWARE, in the same order) to its view; every other request goes on through the whole stack."""

    def __init__(self, get_response):
        from django.conf import settings

        missing = [path for path in LEAN_MIDDLEWARE if path not in settings.MIDDLEWARE]
        order = [path for path in settings.MIDDLEWARE if path in LEAN_MIDDLEWARE]
        if missing or order != list(LEAN_MIDDLEWARE):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"LEAN_MIDDLEWARE must be a part of MIDDLEWARE, in its order: {missing}")
        self.get_response = get_response
        self.lean = _LeanHandler()
        self.lean.load_middleware()

    def __call__(self, request):
        if request.path_info.startswith(LEAN_PREFIXES):
            return self.lean._middleware_chain(request)
        return self.get_response(request)


class _LeanHandler(BaseHandler):
    def load_middleware(self, is_async=False):
        """BaseHandler.load_middleware over LEAN_MIDDLEWARE (all of it synchronous)."""
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(LEAN_MIDDLEWARE):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler
