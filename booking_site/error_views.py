"""Django's error handlers (handler400/403/404/500 in urls.py): the site keeps Django's pages;
under /api/ the answer is the API's problem+json, never an HTML page."""

from django.core.exceptions import RequestDataTooBig
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
    if _is_api(request):
        return problem_json(request, "server_error", "Something went wrong on our side; quote the request_id to us.")
    return defaults.server_error(request)
