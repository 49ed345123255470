"""Django's error handlers (handler400/403/404/500 in urls.py) and CSRF_FAILURE_VIEW: on the
site, pages that look like the site (templates/400.html, 403.html, 404.html, 403_csrf.html,
500.html) with a way back and never a detail of the error; under /api/ the API's problem+json,
never an HTML page."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseForbidden, HttpResponseServerError
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults

from api.errors import problem_json

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return problem_json(request, "request_too_large", "The request body is too large.")
        return problem_json(request, "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return problem_json(request, "permission_denied")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return problem_json(request, "not_found", "There is no such resource. The API's paths are in /api/v1/schema/.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500.html stands alone: rendered without the request's context processors, so a broken
    database or cache cannot break the error page too. It shows the request id to quote."""
    if _is_api(request):
        return problem_json(request, "server_error", "Something went wrong on our side; quote the request_id to us.")
    template = loader.get_template("500.html")
    context = {"SITE_NAME": settings.SITE_NAME, "request_id": getattr(request, "id", "")}
    return HttpResponseServerError(template.render(context))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent with a missing or stale CSRF token (a page left open
    across a log-in elsewhere, say). The page says what happened and leads back to the form."""
    if _is_api(request):
        return problem_json(request, "csrf_failed")
    referer = request.headers.get("referer", "")
    back = referer if url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()) else ""
    context = {"back_url": back, "cookie_missing": reason == REASON_NO_CSRF_COOKIE}
    return render(request, "403_csrf.html", context, status=HttpResponseForbidden.status_code)
