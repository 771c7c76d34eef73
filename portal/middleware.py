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
