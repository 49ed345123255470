from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/read/", views.alert_mark_read, name="alerts_mark_read"),
]
