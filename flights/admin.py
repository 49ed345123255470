from django.contrib import admin

from .models import Airport, Flight


@admin.register(Airport)
class AirportAdmin(admin.ModelAdmin):
    list_display = ["iata", "name", "city", "country", "tz"]
    list_filter = ["country"]
    search_fields = ["iata", "icao", "name", "city"]


@admin.register(Flight)
class FlightAdmin(admin.ModelAdmin):
    list_display = ["number", "origin", "destination", "departs_at", "arrives_at", "capacity", "seats_booked", "price", "status"]
    list_filter = ["status", ("departs_at", admin.DateFieldListFilter)]
    search_fields = ["number", "origin__iata", "destination__iata", "origin__city", "destination__city"]
    list_select_related = ["origin", "destination"]
    autocomplete_fields = ["origin", "destination"]
    date_hierarchy = "departs_at"
    # The counter moves only with bookings, under the flight lock; status changes go through
    # the staff "remove" page so passengers are told.
    readonly_fields = ["seats_booked", "status", "created_at", "updated_at"]
