from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Skyway administration"
admin.site.site_title = "Skyway admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("staff/", include("staff.urls")),
    path("", include("bookings.urls")),
    path("", include("notifications.urls")),
    path("", include("flights.urls")),
]
