from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("flights/<int:flight_id>/", views.flight_book, name="book"),
    path("bookings/", views.booking_list, name="list"),
    path("bookings/<str:reference>/", views.booking_detail, name="detail"),
    path("bookings/<str:reference>/cancel/", views.booking_cancel, name="cancel"),
    path("staff/manifest/", views.staff_manifest_lookup, name="staff_manifest_lookup"),
    path("staff/flights/<int:flight_id>/manifest/", views.staff_manifest, name="staff_manifest"),
    path("staff/flights/<int:flight_id>/remove/", views.staff_flight_remove, name="staff_flight_remove"),
]
