"""Remember when a signed-in passenger was last on the site (the evening nudge skips recent visitors).

`last_login` alone will not do: a session lasts two weeks, so someone browsing every day may
not have logged in for ten days. Writing on every request would turn each page view into a
write, so the time is refreshed at most once per SEEN_RESOLUTION per user, with one UPDATE
whose WHERE clause re-checks the age (two workers racing write once).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils import timezone

from . import two_factor
from .models import User

SEEN_RESOLUTION = timedelta(hours=1)


def last_seen(user: User):
    """When the user was last seen on the site: the later of the last request we recorded
    and the last login (a login is a visit too). None for a user who never came."""
    moments = [moment for moment in (user.last_seen_at, user.last_login) if moment]
    return max(moments, default=None)


class LastSeenMiddleware:
    """After AuthenticationMiddleware. Costs no query for anonymous visitors, and none for a
    signed-in one seen (or logged in) within the last hour: the user row is already loaded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            seen = last_seen(user)
            if seen is None or now - seen >= SEEN_RESOLUTION:
                User.objects.filter(pk=user.pk).exclude(last_seen_at__gt=now - SEEN_RESOLUTION).update(last_seen_at=now)
        return response


class StaffSessionTimeoutMiddleware:
    """Staff sessions end after STAFF_IDLE_MINUTES without a request, and STAFF_SESSION_HOURS
    after the login whatever happens (ASVS 7.3): a staff account can cancel flights for
    hundreds of passengers, so a forgotten browser must not stay signed in for two weeks as a
    passenger's may. After AuthenticationMiddleware. The login writes both times into the
    session (`session_times_start`); a request refreshes "last active" at most once a minute,
    so a page costs no session write."""

    STARTED, ACTIVE = "staff_session_started", "staff_session_active"
    RESOLUTION_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = timezone.now().timestamp()
            started = request.session.get(self.STARTED)
            active = request.session.get(self.ACTIVE)
            if started is None or active is None:  # a session from before this rule: starts now
                session_times_start(request)
            elif (
                now - active > timedelta(minutes=settings.STAFF_IDLE_MINUTES).total_seconds()
                or now - started > timedelta(hours=settings.STAFF_SESSION_HOURS).total_seconds()
            ):
                logout(request)  # a new, empty session: the next page asks to log in again
            elif now - active >= self.RESOLUTION_SECONDS:
                request.session[self.ACTIVE] = now
        return self.get_response(request)


def session_times_start(request) -> None:
    """At login (accounts.receivers): the session's start and last activity, now."""
    now = timezone.now().timestamp()
    request.session[StaffSessionTimeoutMiddleware.STARTED] = now
    request.session[StaffSessionTimeoutMiddleware.ACTIVE] = now


class SecondFactorMiddleware:
    """An account with a second factor is signed in only once it is shown: after the password,
    every page but the two-step one (and logging out, and links that carry their own token)
    goes there, then on to where the user was going. After OTPMiddleware. The API is left to
    its authentication (api.authentication.SessionAuthentication refuses such a session).
    Costs nothing for a session without PENDING_KEY set."""

    OPEN_VIEWS = frozenset(
        {
            "accounts:two_factor_verify",
            "accounts:two_factor_setup",
            "accounts:logout",
            "accounts:unsubscribe",
            # A passkey instead of a code (accounts.passkeys); adding one needs a verified session.
            "otp_webauthn:credential-authentication-begin",
            "otp_webauthn:credential-authentication-complete",
            "otp_webauthn:js-i18n-catalog",
        }
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name in self.OPEN_VIEWS or "api" in match.namespaces:
            return None
        if two_factor.second_factor_pending(request):
            return redirect_to_login(request.get_full_path(), reverse("accounts:two_factor_verify"))
        return None
