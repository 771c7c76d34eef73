"""Language for machines' endpoints.

Django's LocaleMiddleware gives every path without a language prefix the default language (the site's
Ukrainian pages have no prefix). The API and the channel webhooks have no prefix either; their callers say
what they want in `Accept-Language`, which this middleware honours after LocaleMiddleware.
"""

from django.utils import translation

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
        response = JsonResponse({"code": "unavailable", "message": message}, status=503)
    else:
        html = render_to_string("portal/unavailable.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(DependencyUnavailableMiddleware.RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
