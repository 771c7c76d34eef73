"""Where browsers report Content-Security-Policy violations: each one is logged for the operators.

A violation means either an attack that the policy stopped or a page of ours that the policy breaks;
both need a person to look. Anybody can post here, so the body is bounded, only known fields are
logged (each cut to a few hundred characters), and one client address gets a bounded number of lines.
"""

import json
import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.ratelimit import Limit, attempt_count, client_ip

logger = logging.getLogger("portal.csp")

MAX_BODY_BYTES = 64 * 1024
REPORTS_PER_CLIENT = Limit(attempts=120, window_seconds=600)
LOGGED_FIELDS = (
    "document-uri",
    "effective-directive",
    "violated-directive",
    "blocked-uri",
    "source-file",
    "line-number",
    "column-number",
    "script-sample",
    "disposition",
)


def _reports(body: bytes) -> list[dict]:
    """Both formats browsers send: `{"csp-report": {...}}` (report-uri) and the Reporting API's list."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    if isinstance(parsed, dict) and isinstance(parsed.get("csp-report"), dict):
        return [parsed["csp-report"]]
    if isinstance(parsed, list):
        reports = []
        for item in parsed:
            if isinstance(item, dict) and item.get("type") == "csp-violation" and isinstance(item.get("body"), dict):
                # The Reporting API spells the same fields in camelCase.
                body = item["body"]
                reports.append(
                    {
                        "document-uri": body.get("documentURL"),
                        "effective-directive": body.get("effectiveDirective"),
                        "blocked-uri": body.get("blockedURL"),
                        "source-file": body.get("sourceFile"),
                        "line-number": body.get("lineNumber"),
                        "script-sample": body.get("sample"),
                        "disposition": body.get("disposition"),
                    }
                )
        return reports
    return []


@csrf_exempt  # browsers post reports without a CSRF token; nothing is changed here
@require_POST
def csp_report(request):
    if len(request.body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    if attempt_count("csp-report", client_ip(request), REPORTS_PER_CLIENT) > REPORTS_PER_CLIENT.attempts:
        return HttpResponse(status=204)
    for report in _reports(request.body):
        fields = {name: str(report.get(name))[:300] for name in LOGGED_FIELDS if report.get(name) not in (None, "")}
        logger.warning("Content-Security-Policy violation: %s", json.dumps(fields, ensure_ascii=False))
    return HttpResponse(status=204)
