from django import forms
from django.contrib import admin, messages
from django.db import transaction

from . import services
from .exceptions import FlightError
from .forms import flight_fields
from .models import Airport, Flight, FlightImport
from .search_cache import search_cache_invalidate


class FlightAdminForm(forms.ModelForm):
    class Meta:
        model = Flight
        fields = ["number", "origin", "destination", "departs_at", "arrives_at", "capacity", "layout", "price"]

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity < self.instance.seats_booked:
            raise forms.ValidationError(
                f"{self.instance.seats_booked} seats are booked; capacity cannot go below that."
            )
        return capacity


@admin.register(Airport)
class AirportAdmin(admin.ModelAdmin):
    list_display = ["iata", "name", "city", "country", "tz"]
    list_filter = ["country"]
    search_fields = ["iata", "icao", "name", "city"]


@admin.register(Flight)
class FlightAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "origin",
        "destination",
        "departs_at",
        "arrives_at",
        "capacity",
        "seats_booked",
        "price",
        "status",
    ]
    list_filter = ["status", ("departs_at", admin.DateFieldListFilter)]
    search_fields = ["number", "origin__iata", "destination__iata", "origin__city", "destination__city"]
    list_select_related = ["origin", "destination"]
    autocomplete_fields = ["origin", "destination"]
    date_hierarchy = "departs_at"
    # The counter moves only with bookings, under the flight lock; status changes go through
    # the staff "remove" page so passengers are told.
    readonly_fields = ["seats_booked", "status", "created_at", "updated_at"]
    form = FlightAdminForm

    def save_model(self, request, obj, form, change):
        """Through the services the staff pages use, so the admin keeps their rules: an edit
        locks the row (a booking made meanwhile keeps its seats), and both an addition and an
        edit drop the cached searches that could show the flight."""
        if not change:
            flight = services.flight_create(**flight_fields(form.cleaned_data))
            obj.pk = flight.pk
            obj.refresh_from_db()  # what was stored, for the admin's log entry and redirect
            return None
        try:
            services.flight_update(flight_id=obj.pk, **flight_fields(form.cleaned_data))
        except FlightError as error:
            messages.error(request, str(error))
        return None

    # Deleting is possible only for a flight nobody booked or held (bookings protect it); a
    # cached search could still list it, so its route-day is invalidated like any change.
    def delete_model(self, request, obj):
        with transaction.atomic():
            search_cache_invalidate(obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for flight in queryset.select_related("origin"):
                search_cache_invalidate(flight)
            super().delete_queryset(request, queryset)


@admin.register(FlightImport)
class FlightImportAdmin(admin.ModelAdmin):
    """Staff CSV imports, view only: they are started and followed on /staff/flights/import/."""

    list_display = ["created_at", "file_name", "created_by", "status", "progress_total", "created_count", "error_count"]
    list_filter = ["status"]
    search_fields = ["file_name", "created_by__email"]
    list_select_related = ["created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the row keeps the file's record; a deleted row would leave the file behind
