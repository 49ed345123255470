from django.contrib import admin

from .models import Booking, BookingExport, Payment, Ticket


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = ["passenger_name", "date_of_birth", "seat", "price", "status", "refund_amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PaymentInline(admin.StackedInline):
    model = Payment
    can_delete = False
    fields = [
        "provider",
        "reference",
        "amount",
        "currency",
        "card_brand",
        "card_last4",
        "refunded_amount",
        "created_at",
    ]
    readonly_fields = fields

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
        "hold_expires_at",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "cancelled_by_staff",
    ]
    inlines = [TicketInline, PaymentInline]
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
    readonly_fields = ["booking", "flight", "seat", "price", "status", "refund_amount", "cancelled_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BookingExport)
class BookingExportAdmin(admin.ModelAdmin):
    """Passengers' CSV exports, view only: the file is the passenger's (only they download it)."""

    list_display = ["created_at", "user", "status", "progress_done", "progress_total", "finished_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    exclude = ["file", "run_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the row keeps the file's record; a deleted row would leave the file behind
