from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Skyway administration"
admin.site.site_title = "Skyway admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("staff/", RedirectView.as_view(pattern_name="flights:staff_list", permanent=False)),
    path("", include("bookings.urls")),
    path("", include("notifications.urls")),
    path("", include("flights.urls")),
]
