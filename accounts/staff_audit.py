"""Every look a staff member takes at a customer, and every staff action, in the portal's one audit log.

One middleware rather than a line in each view: the cabinet has a few dozen account pages and the admin
grows custom views (review, void, assign a payment) with every change, and a view that forgets to log
is a hole nobody notices. After the response, for a signed-in staff member:

- a customer's page (any URL with an account `number`) that answered 200 is an `access` entry on the
  account, unless the staff member is linked to it (their own account);
- an admin change page of a customer's record (account, link, meter, reading, invoice, payment) that
  answered 200 is an `access` entry on that record;
- every POST (a change, an admin action, a review, a reading entered) is an entry on the object in the
  URL, or on each object an admin bulk action selected, with the path and the response status.

All are auditlog's `access` action (an event, not a field change) with `additional_data` = {page,
status, by: "staff"}: the page says GET (a look) or POST (an action). The field-level diffs of the
tracked models are auditlog's own `update` entries, written next to these.
"""

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import Resolver404, resolve

from accounts.models import AccountLink, PersonalAccount
from accounts.ratelimit import client_ip

# Records whose admin page shows a customer's data: opening one is a look at that customer.
CUSTOMER_RECORDS = {
    ("accounts", "personalaccount"),
    ("accounts", "accountlink"),
    ("readings", "meter"),
    ("readings", "reading"),
    ("billing", "invoice"),
    ("billing", "payment"),
    ("billing", "charge"),
}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class StaffAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff and response.status_code < 500:
            try:
                staff_request_record(request, response.status_code)
            except Resolver404:
                pass
        return response


def staff_request_record(request, status: int) -> None:
    match = resolve(request.path_info)
    page = f"{request.method} {request.path}"
    number = match.kwargs.get("number")
    if number and "/admin/" not in request.path:
        if status != 200 and request.method in SAFE_METHODS:
            return  # a 404 showed nothing
        account = PersonalAccount.objects.filter(number=number).first()
        if account is None or AccountLink.objects.filter(user=request.user, account=account).exists():
            return
        _record(request, "accounts", "personalaccount", [str(account.pk)], page, status)
        return
    target = _admin_target(request)
    if target is None:
        return
    app_label, model_name, object_ids = target
    if request.method in SAFE_METHODS:
        if status == 200 and object_ids and (app_label, model_name) in CUSTOMER_RECORDS:
            _record(request, app_label, model_name, object_ids, page, status)
        return
    _record(request, app_label, model_name, object_ids or [""], page, status)


def _admin_target(request) -> tuple[str, str, list[str]] | None:
    """(app label, model name, object ids) of an admin URL `/admin/<app>/<model>/[...<id>/...]`."""
    parts = [part for part in request.path.split("/") if part]
    if "admin" not in parts:
        return None
    parts = parts[parts.index("admin") + 1 :]
    if len(parts) < 2:
        return None
    try:
        apps.get_model(parts[0], parts[1])
    except (LookupError, ValueError):
        return None
    object_ids = [part for part in parts[2:] if part.isdigit()][:1]
    if not object_ids and request.method not in SAFE_METHODS:
        object_ids = [value for value in request.POST.getlist("_selected_action") if value.isdigit()][:500]
    return parts[0], parts[1], object_ids


def _record(request, app_label, model_name, object_ids, page, status) -> None:
    content_type = ContentType.objects.get_by_natural_key(app_label, model_name)
    model = content_type.model_class()
    found = {str(obj.pk): obj for obj in model._default_manager.filter(pk__in=[i for i in object_ids if i])}
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=content_type,
                object_pk=object_id,
                object_id=int(object_id) if object_id.isdigit() else None,
                object_repr=str(found.get(object_id, model._meta.verbose_name))[:1000],
                action=LogEntry.Action.ACCESS,
                changes={},
                actor=request.user,
                actor_email=request.user.email,
                remote_addr=_address(request),
                additional_data={"page": page[:500], "status": status, "by": "staff"},
            )
            for object_id in object_ids
        ]
    )


def _address(request) -> str | None:
    address = client_ip(request)
    return address if address and address != "unknown" else None
