"""The bench's own URLconf (bench/api.py sets it with override_settings, in process only): the
product's URLs as they are, plus a hello view the API search is compared with. The product has
no such URL; gunicorn is never given this one."""

from django.http import HttpResponse
from django.urls import include, path

HELLO_PATH = "/bench/hello"


def hello(request):
    """As little as a Django view can do: through the whole middleware stack, no DB, no cache."""
    return HttpResponse(b"Hello, world", content_type="text/plain")


urlpatterns = [
    path(HELLO_PATH.lstrip("/"), hello),
    path("", include("booking_site.urls")),
]

handler400 = "booking_site.error_views.bad_request"
handler403 = "booking_site.error_views.permission_denied"
handler404 = "booking_site.error_views.page_not_found"
handler500 = "booking_site.error_views.server_error"
