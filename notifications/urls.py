from django.urls import path

from . import views, views_mail

app_name = "notifications"

urlpatterns = [
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/read/", views.alert_mark_read, name="alerts_mark_read"),
    path("staff/mail/", views_mail.staff_mail_list, name="staff_mail_list"),
    path("staff/mail/<int:pk>/", views_mail.staff_mail_detail, name="staff_mail_detail"),
]
