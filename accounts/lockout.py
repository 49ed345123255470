"""Password guessing (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one account
from one client address, that pair is locked for LOGIN_LOCKOUT_MINUTES, on every way in: the
site's login, django-admin's and the API's token endpoint (api/views/auth.py answers 429
itself: DRF hands axes its own request object, so the middleware below never sees that lock).

The same lock guards three other doors, by name and address (`guard_locked`, `guard_attempt`):
manage booking (a wrong last name for a reference), password reset requests (each request
for an address) and the second factor (a wrong code, on the site or the API). Their attempts
show in django-admin beside the logins, named "manage-booking:<reference>",
"password-reset:<e-mail>" and "two-step:<e-mail>".

The pair, not the account: someone guessing from elsewhere cannot lock the real owner out.
The address is lib.http.client_address (REMOTE_ADDR, or the header a trusted proxy sets).
"""

from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import render

from booking_site.lib.http import client_address


def login_name(request, credentials: dict | None) -> str:
    """The account a login attempt is for, however it was sent: the site's form (`username`),
    authenticate(email=...) from the API, or a POST body."""
    credentials = credentials or {}
    data = getattr(request, "POST", None) or {}
    name = credentials.get("username") or credentials.get("email") or data.get("username") or data.get("email") or ""
    return str(name).strip().lower()[:254]


def client_ip(request) -> str | None:
    """None when the request has no address (a test's force_login): axes stores it as NULL."""
    return client_address(request) or None


def lockout_seconds() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return int(cool_off.total_seconds() if isinstance(cool_off, timedelta) else cool_off * 3600)


MANAGE_BOOKING = "manage-booking"
RESET_REQUEST = "password-reset"
SECOND_FACTOR = "two-step"  # wrong codes after the right password
GUARDED = (MANAGE_BOOKING, RESET_REQUEST, SECOND_FACTOR)


def _guarded(kind: str, name: str) -> dict:
    return {"username": f"{kind}:{name}".strip().lower()[:254]}


def guard_locked(request, kind: str, name: str) -> bool:
    """Whether `kind` (MANAGE_BOOKING, RESET_REQUEST) is locked for `name` from this client."""
    return AxesProxyHandler.is_locked(request, _guarded(kind, name))


def guard_attempt(request, kind: str, name: str) -> None:
    """Count one failed attempt at `kind` for `name` from this client, as axes counts a wrong
    password; the one that reaches the limit gets the lockout page (AxesMiddleware)."""
    user_login_failed.send(sender=kind, credentials=_guarded(kind, name), request=request)


def lockout_response(request, original_response=None, credentials=None):
    """The page a lockout gets: 429, when to try again, and the way round (for a login: reset
    the password, which does not unlock guessing but lets the owner in by e-mail)."""
    name = str((credentials or {}).get("username") or "")
    return lockout_page(request, next((kind for kind in GUARDED if name.startswith(f"{kind}:")), "login"))


def lockout_page(request, kind: str = "login"):
    seconds = lockout_seconds()
    response = render(
        request,
        "accounts/locked_out.html",
        {"minutes": max(seconds // 60, 1), "kind": kind.replace("-", "_")},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
