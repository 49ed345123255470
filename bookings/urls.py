from django.urls import path, register_converter

from . import views, views_checkout, views_export, views_manage, views_privacy, views_tickets, views_travel
from .services import REFERENCE_LENGTH


class ReferenceConverter:
    """A booking reference in a URL: six letters or digits, any case. Anything else is a 404
    before a query runs (a NUL byte or an over-long value never reaches PostgreSQL)."""

    regex = f"[A-Za-z0-9]{{{REFERENCE_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

app_name = "bookings"

urlpatterns = [
    path("flights/<int:flight_id>/", views.flight_book, name="book"),
    path("bookings/", views.booking_list, name="list"),
    path("bookings/exports/", views_export.export_start, name="export_start"),
    path("bookings/exports/<int:export_id>/", views_export.export_detail, name="export"),
    path("bookings/exports/<int:export_id>/progress.json", views_export.export_progress, name="export_progress"),
    path("bookings/exports/<int:export_id>/download/", views_export.export_download, name="export_download"),
    # Before the booking pages: "travel" is six letters, so it would read as a booking reference.
    path("bookings/travel/", views_travel.my_travel, name="travel"),
    path("bookings/<ref:reference>/", views.booking_detail, name="detail"),
    path("bookings/<ref:reference>/cancel/", views.booking_cancel, name="cancel"),
    path("manage/", views_manage.manage_lookup, name="manage"),
    path("account/my-data.json", views_privacy.my_data, name="my_data"),
    path("account/delete/", views_privacy.account_delete, name="account_delete"),
    path("checkout/<ref:reference>/passengers/", views_checkout.checkout_passengers, name="checkout_passengers"),
    path("checkout/<ref:reference>/payment/", views_checkout.checkout_payment, name="checkout_payment"),
    path("checkout/<ref:reference>/release/", views_checkout.checkout_release, name="checkout_release"),
    path("checkout/<ref:reference>/done/", views_checkout.checkout_done, name="checkout_done"),
    path("bookings/<ref:reference>/tickets/<int:ticket_id>/", views_tickets.ticket_eticket, name="eticket"),
    path("bookings/<ref:reference>/calendar.ics", views_tickets.booking_calendar, name="calendar"),
]
