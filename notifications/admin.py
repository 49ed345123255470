import json

from django.contrib import admin, messages

from .models import Alert, OutboxMessage
from .selectors_mail import redacted_context
from .services import outbox_requeue


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "template", "to", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject", "=message_id"]
    date_hierarchy = "created_at"
    actions = ["requeue_failed"]
    readonly_fields = [
        "to",
        "template",
        "context_shown",
        "user_id",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "message_id",
        "dedupe_key",
        "created_at",
        "sent_at",
    ]
    exclude = ["context"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="context")
    def context_shown(self, message):
        return json.dumps(redacted_context(message), indent=2, ensure_ascii=False, default=str)

    @admin.action(description="Send the selected failed messages again (fresh attempts)", permissions=["change"])
    def requeue_failed(self, request, queryset):
        count = outbox_requeue(message_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        self.message_user(request, f"{count} failed message(s) queued to be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} selected message(s) were not failed and were left alone.", messages.WARNING
            )


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user_id", "text", "read_at"]
    search_fields = ["text"]
    readonly_fields = ["user_id", "text", "url", "created_at", "read_at"]

    def has_add_permission(self, request):
        return False
