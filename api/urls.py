"""/api/v1/: the JSON API. The version is in the path; docs/api.md says what may change
within v1. Swagger UI is also at /swagger/ (booking_site/urls.py)."""

from django.urls import path

import bookings.urls  # registers the "ref" path converter: a booking reference)

from .views import auth, bookings, docs, flights, staff

app_name = "api"

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(api_version="v1"), name="schema"),
    path("docs/", docs.RedocView.as_view(url_name="api:schema"), name="redoc"),
    path("swagger/", docs.SwaggerView.as_view(url_name="api:schema"), name="swagger"),
    # Accounts
    path("auth/signup", auth.Signup.as_view(), name="signup"),
    path("auth/token", auth.TokenObtain.as_view(), name="token"),
    path("auth/token/refresh", auth.TokenRefresh.as_view(), name="token_refresh"),
    path("auth/logout", auth.Logout.as_view(), name="logout"),
    path("me", auth.Me.as_view(), name="me"),
    # Flights (search and reads for everyone; writes for staff)
    path("airports", flights.AirportList.as_view(), name="airports"),
    path("flights", staff.FlightList.as_view(), name="flights"),
    path("flights/imports", staff.ImportList.as_view(), name="imports"),
    path("flights/imports/<int:import_id>", staff.ImportDetail.as_view(), name="import"),
    path("flights/<int:flight_id>", staff.FlightDetail.as_view(), name="flight"),
    path("flights/<int:flight_id>/seat-map", flights.FlightSeatMap.as_view(), name="flight_seat_map"),
    path("flights/<int:flight_id>/manifest", staff.FlightManifest.as_view(), name="flight_manifest"),
    # Checkout and trips
    path("holds", bookings.HoldList.as_view(), name="holds"),
    path("holds/<ref:reference>", bookings.HoldDetail.as_view(), name="hold"),
    path("bookings", bookings.BookingList.as_view(), name="bookings"),
    path("bookings/<ref:reference>", bookings.BookingDetail.as_view(), name="booking"),
    path("bookings/<ref:reference>/calendar.ics", bookings.BookingCalendar.as_view(), name="booking_calendar"),
    path("bookings/<ref:reference>/tickets/<int:ticket_id>", bookings.ETicket.as_view(), name="eticket"),
    path("bookings/<ref:reference>/cancellations", bookings.CancellationList.as_view(), name="cancellations"),
    path(
        "bookings/<ref:reference>/cancellations/<uuid:quote_id>",
        bookings.CancellationDetail.as_view(),
        name="cancellation",
    ),
    path(
        "bookings/<ref:reference>/cancellations/<uuid:quote_id>/confirm",
        bookings.CancellationConfirm.as_view(),
        name="cancellation_confirm",
    ),
    path("exports", bookings.ExportList.as_view(), name="exports"),
    path("exports/<int:export_id>", bookings.ExportDetail.as_view(), name="export"),
    path("exports/<int:export_id>/download", bookings.ExportDownload.as_view(), name="export_download"),
    # Staff
    path("schedule", staff.Schedule.as_view(), name="schedule"),
    path("manifests", staff.ManifestList.as_view(), name="manifests"),
    path("users", staff.UserList.as_view(), name="users"),
]
