"""A second factor for signing in (django-otp): an authenticator app (TOTP) and ten one-time
recovery codes. Staff must use it: staff pages (staff.decorators), django-admin
(booking_site.admin) and the staff API (api.permissions) refuse a session or token without it.
Passengers may turn it on; then every login asks for it (accounts.middleware.SecondFactorMiddleware).

Enrolling is two steps so that a mistyped secret never locks anyone out: a device is created
unconfirmed with a fresh key, and confirmed only by a code it produced. Verifying a code marks
the session verified (`django_otp.login`) and gives it a new key.
"""

from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.utils import get_credential_model

from .models import User

RECOVERY_CODES = 10
AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"
# In the session from the login on: this account has a second factor, so nothing but the
# two-step page (and logging out) is open until a code is given.
PENDING_KEY = "second_factor_required"


def has_second_factor(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def second_factor_mandatory(user: User) -> bool:
    """Staff and superusers cannot use their powers without it; passengers choose."""
    return bool(user.is_staff or user.is_superuser)


def is_verified(user) -> bool:
    """This session showed a second factor (django_otp.middleware.OTPMiddleware sets it up; a
    user loaded elsewhere, as by a bearer token, never is)."""
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified())


def session_login(request, user: User) -> None:
    """At every login (accounts.apps): remember whether this account must show a second factor."""
    request.session[PENDING_KEY] = has_second_factor(user)


def second_factor_pending(request) -> bool:
    """Signed in with the password of an account that has a second factor, not yet shown."""
    session = getattr(request, "session", None)
    if session is None or not session.get(PENDING_KEY):  # most sessions never set it: no user loaded
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and not is_verified(user))


def matching_device(user: User, token: str):
    """The user's confirmed device that accepts `token` (an app code, or a recovery code, which
    is then used up), or None. django-otp slows a device down after each wrong code.

    Each device is checked under its row lock: two requests racing with one code (a recovery
    code, or an app code that must not be replayed) cannot both pass, as they could with
    django-otp's read-then-delete alone."""
    token = "".join(str(token).split())
    if not token:
        return None
    for device in devices_for_user(user, confirmed=True):
        with transaction.atomic():
            locked = type(device).objects.select_for_update().filter(pk=device.pk, confirmed=True).first()
            if locked is not None and locked.verify_token(token):
                return locked
    return None


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for `user` with a fresh key (any earlier unconfirmed one is
    replaced), to show as a QR code and a key to type."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def totp_enrolment_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a code it produced: the user's authenticator from now on, a new
    set of recovery codes (returned, to be shown once), and this session verified. None when
    the code is wrong (nothing changes)."""
    if device.confirmed or not device.verify_token(token):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        StaticDevice.objects.filter(user=device.user).delete()
        recovery = StaticDevice.objects.create(user=device.user, name=RECOVERY, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    second_factor_login(request, device)
    return codes


def second_factor_verify(*, request, token: str) -> bool:
    """Check a code from the authenticator, or one recovery code (used up), against the signed-in
    user's devices; on success the session is verified and gets a new key."""
    device = matching_device(request.user, token)
    if device is None:
        return False
    second_factor_login(request, device)
    return True


def second_factor_login(request, device) -> None:
    request.session.cycle_key()  # a verified session is a new session (ASVS 7.2)
    otp_login(request, device)
    request.session[PENDING_KEY] = True  # from now on, this account's logins ask for it


def second_factor_remove(*, request) -> bool:
    """Turn two-step sign-in off for the signed-in passenger (every device goes, recovery
    codes too). Staff cannot: False, nothing changes."""
    user = request.user
    if second_factor_mandatory(user):
        return False
    with transaction.atomic():
        second_factors_delete(user=user)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[PENDING_KEY] = False
    return True


def passkeys_of(user: User):
    """The user's passkeys (django-otp-webauthn), newest first."""
    return get_credential_model().objects.filter(user=user, confirmed=True).order_by("-created_at")


def passkey_remove(*, request, passkey_id: int) -> bool:
    """Remove one of the signed-in user's passkeys (audit-trailed); False if it is not theirs.
    The authenticator app and recovery codes stay, so this never turns two-step sign-in off."""
    passkey = get_credential_model().objects.filter(user=request.user, pk=passkey_id).first()
    if passkey is None:
        return False
    passkey.delete()
    return True


def second_factors_delete(*, user: User) -> None:
    """Every second factor of `user` gone (turned off, or the account closed), one by one:
    each deletion is in the audit trail."""
    for device in devices_for_user(user, confirmed=None):
        device.delete()
