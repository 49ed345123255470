from django.contrib import admin

from .models import Alert, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "to",
        "template",
        "context",
        "user_id",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user_id", "text", "read_at"]
    search_fields = ["text"]
    readonly_fields = ["user_id", "text", "url", "created_at", "read_at"]

    def has_add_permission(self, request):
        return False
