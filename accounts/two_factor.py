"""A second factor for signing in (django-otp): an authenticator app (TOTP) and ten one-time
recovery codes. Staff must use it (issue 14: enforcement on staff pages, the admin and the
staff API is the next step); passengers may.

Enrolling is two steps so that a mistyped secret never locks anyone out: a device is created
unconfirmed with a fresh key, and confirmed only by a code it produced. Verifying a code marks
the session verified (`django_otp.login`) and gives it a new key.
"""

from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

RECOVERY_CODES = 10
AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"


def has_second_factor(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


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
    user's devices; on success the session is verified and gets a new key. django-otp slows a
    device down after each wrong code."""
    token = "".join(token.split())
    for device in devices_for_user(request.user, confirmed=True, for_verify=True):
        if device.verify_token(token):
            second_factor_login(request, device)
            return True
    return False


def second_factor_login(request, device) -> None:
    request.session.cycle_key()  # a verified session is a new session (ASVS 7.2)
    otp_login(request, device)
