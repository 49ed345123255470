from django.contrib import admin
from django.urls import include, path

from api.views.docs import SwaggerView
from booking_site.views import favicon

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/passkeys/", include("accounts.urls_passkeys")),
    path("staff/", include("staff.urls")),
    path("api/v1/", include("api.urls")),
    # Swagger UI where the DRF ticketing API had it (also at /api/v1/swagger/).
    path("swagger/", SwaggerView.as_view(url_name="api:schema"), name="swagger"),
    path("", include("bookings.urls")),
    path("", include("notifications.urls")),
    path("", include("flights.urls")),
]

handler400 = "booking_site.error_views.bad_request"
handler403 = "booking_site.error_views.permission_denied"
handler404 = "booking_site.error_views.page_not_found"
handler500 = "booking_site.error_views.server_error"
