from django.urls import path

from . import views, views_import

app_name = "flights"

urlpatterns = [
    path("", views.search, name="search"),
    path("airports/suggest/", views.airport_suggest, name="airport_suggest"),
    path("staff/flights/", views.staff_flight_list, name="staff_list"),
    path("staff/flights/add/", views.staff_flight_create, name="staff_create"),
    path("staff/flights/<int:flight_id>/edit/", views.staff_flight_edit, name="staff_edit"),
    path("staff/flights/import/", views_import.staff_flight_import, name="staff_import"),
    path("staff/flights/import/sample.csv", views_import.staff_flight_import_sample, name="staff_import_sample"),
    path("staff/flights/import/<int:import_id>/", views_import.staff_flight_import_status, name="staff_import_status"),
    path(
        "staff/flights/import/<int:import_id>/progress/",
        views_import.staff_flight_import_progress,
        name="staff_import_progress",
    ),
]
