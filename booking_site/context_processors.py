from functools import cache

from django.conf import settings
from django.urls import reverse

from notifications.services import alerts_unread_count

# The navigation bar's links, on every page: reversed once per process, not per request.
NAV_URLS = {
    "search": "flights:search",
    "where_we_fly": "flights:where_we_fly",
    "bookings": "bookings:list",
    "manage": "bookings:manage",
    "dashboard": "staff:home",
    "schedule": "staff:schedule",
    "manifest": "staff:manifest_lookup",
    "admin": "admin:index",
    "profile": "accounts:profile",
    "logout": "accounts:logout",
    "login": "accounts:login",
    "signup": "accounts:signup",
    "suggest": "flights:airport_suggest",
    "alerts": "notifications:alerts",
    "mail": "staff:mail_list",
    "users": "staff:users",
}


@cache
def _nav_urls() -> dict[str, str]:
    return {name: reverse(view) for name, view in NAV_URLS.items()}


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "CURRENCY": settings.CURRENCY, "NAV": _nav_urls()}


def alerts(request):
    """ALERTS_UNREAD: the signed-in user's unread alert count for the navbar's bell.

    Lazy and memoised: the count query runs only when a template asks for it (base.html
    does, for signed-in users only), and at most once per request. For an anonymous visitor
    it is 0 without touching the database, so anonymous pages stay as they were."""

    @cache
    def unread() -> int:
        user = request.user
        if not user.is_authenticated:
            return 0
        return alerts_unread_count(user_id=user.pk)

    return {"ALERTS_UNREAD": unread}
