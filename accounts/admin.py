from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User


@admin.register(User)
class UserAdmin(AuditlogHistoryAdminMixin, BaseUserAdmin):
    """Each account's audit trail is a link away: what was changed on it (django-auditlog's
    history view) and what it changed itself (the audit log filtered by actor)."""

    ordering = ["email"]
    show_auditlog_history_link = True
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["date_joined", "last_login", "last_seen_at", "last_nudged_at", "audit_trail"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("E-mail", {"fields": ("email_new_routes", "last_nudged_at", "email_monthly_report")}),
        ("Important dates", {"fields": ("last_login", "last_seen_at", "date_joined")}),
        ("Audit trail", {"fields": ("audit_trail",)}),
    )

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">Changes to this account</a> · <a href="{}?actor={}">Changes made by this account</a> · '
            '<a href="{}?username={}">Sign-ins</a>',
            reverse("admin:accounts_user_auditlog", args=[obj.pk]),
            reverse("admin:auditlog_logentry_changelist"),
            obj.pk,
            reverse("admin:axes_accesslog_changelist"),
            obj.email,
        )

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "password1", "password2")}),
    )


# Second-factor devices: django-otp's own admins would show any user's authenticator secret as
# a QR code to every admin (and its QR view fails on our Django). Here an admin sees who has
# which device and can delete one (a lost phone: the user sets up again), never the secret.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(TOTPDevice, StaticDevice)
class SecondFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed"]
    list_filter = ["confirmed"]
    search_fields = ["user__email"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
