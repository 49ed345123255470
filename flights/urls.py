from django.urls import path

from . import views

app_name = "flights"

urlpatterns = [
    path("", views.search, name="search"),
    path("airports/suggest/", views.airport_suggest, name="airport_suggest"),
    path("staff/flights/", views.staff_flight_list, name="staff_list"),
    path("staff/flights/add/", views.staff_flight_create, name="staff_create"),
    path("staff/flights/<int:flight_id>/edit/", views.staff_flight_edit, name="staff_edit"),
]
