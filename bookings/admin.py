from django.contrib import admin

from .models import Booking, Ticket


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = ["passenger_name", "seat", "price", "status"]
    readonly_fields = ["seat", "price", "status"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "user", "flight", "seat_count", "total_price", "status", "created_at"]
    list_filter = ["status", "cancelled_by_staff", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["reference", "user__email", "tickets__passenger_name", "flight__number"]
    list_select_related = ["user", "flight__origin", "flight__destination"]
    readonly_fields = [
        "reference",
        "user",
        "flight",
        "status",
        "seat_count",
        "total_price",
        "token",
        "created_at",
        "cancelled_at",
        "cancelled_by_staff",
    ]
    inlines = [TicketInline]
    date_hierarchy = "created_at"

    # View only: bookings change through the services, which hold the flight lock; a save here
    # would write back a status read before a concurrent cancellation.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["passenger_name", "seat", "flight", "booking", "status"]
    list_filter = ["status"]
    search_fields = ["passenger_name", "booking__reference", "flight__number"]
    list_select_related = ["flight__origin", "flight__destination", "booking"]
    readonly_fields = ["booking", "flight", "seat", "price", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
