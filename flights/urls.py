from django.urls import path

from . import views, views_discovery

app_name = "flights"

urlpatterns = [
    path("", views.search, name="search"),
    path("airports/suggest/", views.airport_suggest, name="airport_suggest"),
    path("where-we-fly/", views_discovery.where_we_fly, name="where_we_fly"),
    path("fares/", views_discovery.fare_calendar, name="fare_calendar"),
]
