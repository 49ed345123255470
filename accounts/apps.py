from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from .services import admin_ensure_on_migrate

        post_migrate.connect(admin_ensure_on_migrate, sender=self)
        user_logged_in.connect(_staff_session_times, dispatch_uid="accounts.staff_session_times")
        user_logged_in.connect(_second_factor_pending, dispatch_uid="accounts.second_factor_pending")
        _audit_second_factor_devices()


def _staff_session_times(sender, request, user, **kwargs):
    """A staff login starts the session's clocks (accounts.middleware.StaffSessionTimeoutMiddleware)."""
    from .middleware import session_times_start

    if user.is_staff and request is not None and hasattr(request, "session"):
        session_times_start(request)


def _second_factor_pending(sender, request, user, **kwargs):
    """A login of an account with a second factor must still show it (accounts.two_factor)."""
    from .two_factor import session_login

    if request is not None and hasattr(request, "session"):
        session_login(request, user)


def _audit_second_factor_devices():
    """The audit trail (django-auditlog) of second factors: set up, confirmed, reset (deleted
    by an admin), replaced or removed, with who and from where; never a key. Registered here:
    the device models live in other apps, which need our User model loaded first."""
    from auditlog.registry import auditlog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
        if not auditlog.contains(model):
            auditlog.register(model, include_fields=["user", "name", "confirmed"])
