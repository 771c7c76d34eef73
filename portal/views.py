"""Pages that belong to the portal as a whole: the home page and the health probe."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.health import OK, portal_health
from portal.selectors import district_window_statuses


@require_GET
def home(request):
    return render(request, "portal/home.html", {"district_windows": district_window_statuses()})


@never_cache
@require_GET
def health(request):
    checks = portal_health()
    down = [name for name, state in checks.items() if state != OK]
    body = dict(checks)
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
