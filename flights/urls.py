from django.urls import path

from . import views

app_name = "flights"

urlpatterns = [
    path("", views.search, name="search"),
    path("airports/suggest/", views.airport_suggest, name="airport_suggest"),
]
