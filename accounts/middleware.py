"""Remember when a signed-in passenger was last on the site (the evening nudge skips recent visitors).

`last_login` alone will not do: a session lasts two weeks, so someone browsing every day may
not have logged in for ten days. Writing on every request would turn each page view into a
write, so the time is refreshed at most once per SEEN_RESOLUTION per user, with one UPDATE
whose WHERE clause re-checks the age (two workers racing write once).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.utils import timezone

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
    passenger's may. After AuthenticationMiddleware; the times live in the session itself."""

    STARTED, ACTIVE = "staff_session_started", "staff_session_active"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = timezone.now().timestamp()
            started = request.session.setdefault(self.STARTED, now)
            active = request.session.get(self.ACTIVE, now)
            idle = timedelta(minutes=settings.STAFF_IDLE_MINUTES).total_seconds()
            whole = timedelta(hours=settings.STAFF_SESSION_HOURS).total_seconds()
            if now - active > idle or now - started > whole:
                logout(request)  # a new, empty session: the next page asks to log in again
            else:
                request.session[self.ACTIVE] = now
        response = self.get_response(request)
        user = getattr(request, "user", None)  # the login view itself signs a user in
        if user is not None and user.is_authenticated and user.is_staff:
            request.session.setdefault(self.STARTED, timezone.now().timestamp())
        return response
