"""Project-wide middleware."""

import re
import uuid

from auditlog.middleware import AuditlogMiddleware
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from booking_site.lib.http import client_address

TO_FIELD = "_to_field"


class AdminEmptyToFieldMiddleware:
    """django-admin's change and delete views read `_to_field` from the query string or the
    form; present but empty, it passes the allowed-field check and then looks up a field named
    "" (ModelAdmin.get_object): a 500 for every model. An empty value means "the primary key",
    so it is dropped before the admin sees it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        if request.path.startswith(self.admin_prefix):
            if request.GET.get(TO_FIELD, None) == "":
                request.GET = _without(request.GET)
            if request.method == "POST" and request.POST.get(TO_FIELD, None) == "":
                request.POST = _without(request.POST)
        return self.get_response(request)


def _without(data):
    data = data.copy()
    data.pop(TO_FIELD)
    return data


class RequestIdMiddleware:
    """Give every request an id: the caller's `X-Request-ID` when it is a short token (a proxy
    or a client that traces its calls), a new one otherwise. It is on `request.id`, in the
    response's `X-Request-ID`, and in every API error body, so a support question can quote it."""

    HEADER = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(self.HEADER, "")
        request.id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        response = self.get_response(request)
        response[self.HEADER] = request.id
        return response


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


class AuditActorMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (each change it records names who made it, and from where),
    with the client address the rest of the site uses (lib.http.client_address: REMOTE_ADDR or
    the header a trusted proxy sets), not a client-supplied X-Forwarded-For."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request) or None

    @staticmethod
    def _get_actor(request):
        """Who, read when a change is saved rather than when the request comes in: the API's
        bearer tokens are read by DRF inside the view (which then sets request.user), so an
        actor taken at the door would be nobody for every API write."""

        def signed_in_user():
            user = getattr(request, "user", None)
            return user if user is not None and user.is_authenticated else None

        return SimpleLazyObject(signed_in_user)
