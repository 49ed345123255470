from django.urls import path

from .views import dashboard, imports, mail, manifest, schedule, seats, users

app_name = "staff"

# Mounted at /staff/; the paths are those the staff pages had before they moved here.
urlpatterns = [
    path("", dashboard.dashboard_page, name="home"),
    path("flights/", schedule.schedule, name="schedule"),
    path("flights/add/", schedule.flight_add, name="flight_add"),
    path("flights/<int:flight_id>/edit/", schedule.flight_edit, name="flight_edit"),
    path("flights/<int:flight_id>/remove/", schedule.flight_remove, name="flight_remove"),
    path("flights/<int:flight_id>/manifest/", manifest.manifest, name="manifest"),
    path("flights/<int:flight_id>/seats/", seats.seat_view, name="seats"),
    path("flights/import/", imports.import_upload, name="import"),
    path("flights/import/sample.csv", imports.import_sample, name="import_sample"),
    path("flights/import/<int:import_id>/", imports.import_status, name="import_status"),
    path("flights/import/<int:import_id>/progress/", imports.import_progress, name="import_progress"),
    path("manifest/", manifest.manifest_lookup, name="manifest_lookup"),
    path("users/", users.user_list, name="users"),
    path("users/export/", users.users_export, name="users_export"),
    path("users/<int:user_id>/", users.user_detail, name="user"),
    path("mail/", mail.mail_list, name="mail_list"),
    path("mail/<int:pk>/", mail.mail_detail, name="mail_detail"),
    path("mail/<int:pk>/preview.html", mail.mail_preview, name="mail_preview"),
]
