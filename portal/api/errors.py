"""Every API error as `{"error": {"code", "message", "fields"}}`: a stable code for programs and a message in
the caller's language (Accept-Language) for people."""

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApiError(exceptions.APIException):
    """An error with a stable code, raised by views."""

    def __init__(self, code: str, message: str, *, status_code: int = 400, fields: dict | None = None):
        super().__init__(message, code)
        self.status_code, self.error_code, self.fields = status_code, code, fields or {}


def error_body(code: str, message: str, fields: dict | None = None, field_codes: dict | None = None) -> dict:
    body = {"code": code, "message": str(message), "fields": fields or {}}
    if field_codes:
        body["field_codes"] = field_codes
    return {"error": body}


def _field_errors(detail, prefix: str = "") -> dict[str, list]:
    """{"values.day": [ErrorDetail, ...]}: nested serializers and dict fields flattened to dotted names.

    Without this, a nested error reached the caller as Python's repr of a dict of ErrorDetail objects.
    """
    flat: dict[str, list] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for inner, errors in _field_errors(value, name).items():
                flat.setdefault(inner, []).extend(errors)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                for inner, errors in _field_errors(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    flat.setdefault(inner, []).extend(errors)
            else:
                flat.setdefault(prefix or "non_field_errors", []).append(item)
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(detail)
    return flat


def _messages(detail) -> dict:
    return {name: [str(error) for error in errors] for name, errors in _field_errors(detail).items()}


def _codes(detail) -> dict:
    return {
        name: [getattr(error, "code", None) or "invalid" for error in errors]
        for name, errors in _field_errors(detail).items()
    }


def api_exception_handler(exc, context):
    if isinstance(exc, ApiError):
        return Response(error_body(exc.error_code, exc.detail, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            "invalid", _("Some fields are not valid; see fields."), _messages(exc.detail), _codes(exc.detail)
        )
    elif isinstance(exc, exceptions.NotAuthenticated):
        body = error_body("not_authenticated", _("Sign in or send an API key."))
    elif isinstance(exc, exceptions.AuthenticationFailed):
        body = error_body("authentication_failed", _("Unknown or revoked credentials."))
    elif isinstance(exc, exceptions.PermissionDenied):
        body = error_body("permission_denied", _("You may not do this with these credentials."))
    elif isinstance(exc, exceptions.Throttled):
        body = error_body(
            "rate_limited", _("Too many requests. Try again in %(seconds)s s.") % {"seconds": exc.wait or 60}
        )
    elif isinstance(exc, exceptions.MethodNotAllowed):
        body = error_body("method_not_allowed", _("This method is not allowed here."))
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        if getattr(context.get("view"), "multipart_only", False):
            message = _("Send the photo as multipart/form-data in the field photo.")
        else:
            message = _("Send JSON (Content-Type: application/json).")
        body = error_body("unsupported_media_type", message)
    elif isinstance(exc, exceptions.ParseError):
        body = error_body("malformed", _("The request body is not valid JSON."))
    elif isinstance(exc, exceptions.NotAcceptable):
        body = error_body("not_acceptable", _("This endpoint answers in JSON only."))
    else:  # never the exception's own text: a stable code and a translated sentence
        body = error_body(getattr(exc, "default_code", "error"), _("The request could not be handled."))
    response.data = body
    return response
