"""The zone a person reads the times in that belong to no airport: when an alert arrived, when a
seat hold or a download link runs out, when a booking was made or cancelled. (A flight's times
are always on its airports' clocks: booking_site.lib.formats.)

Their profile's choice (User.time_zone) first, else the zone their browser reported (the `tz`
cookie static/js/timezone.js sets), else the site's TIME_ZONE. Such times are always shown
with the zone's abbreviation, so even the fallback never leaves a reader guessing.
"""

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings

ZONE_COOKIE = "tz"


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(key: str | None) -> ZoneInfo | None:
    """The IANA zone called `key`, or None for an empty or unknown name (a cookie is input:
    only names from the tz database are ever opened)."""
    if not key or key not in _known_zones():
        return None
    return ZoneInfo(key)


def person_zone(*, user=None, request=None) -> ZoneInfo:
    """The zone to show `user` (anything with a `time_zone` attribute, or None) the times that
    belong to no airport, reading the browser's `tz` cookie from `request` when given."""
    cookie = request.COOKIES.get(ZONE_COOKIE) if request is not None else None
    for key in (getattr(user, "time_zone", ""), cookie):
        zone = zone_named(key)
        if zone is not None:
            return zone
    return ZoneInfo(settings.TIME_ZONE)


def request_zone(request) -> ZoneInfo:
    """person_zone for the person making `request` (signed in or not), worked out once per request."""
    zone = getattr(request, "_person_zone", None)
    if zone is None:
        user = getattr(request, "user", None)
        zone = person_zone(user=user if user is not None and user.is_authenticated else None, request=request)
        request._person_zone = zone
    return zone
