from functools import cache

from django.conf import settings
from django.urls import reverse

# The navigation bar's links, on every page: reversed once per process, not per request.
NAV_URLS = {
    "search": "flights:search",
    "bookings": "bookings:list",
    "manage": "bookings:manage",
    "schedule": "flights:staff_list",
    "manifest": "bookings:staff_manifest_lookup",
    "admin": "admin:index",
    "profile": "accounts:profile",
    "logout": "accounts:logout",
    "login": "accounts:login",
    "signup": "accounts:signup",
    "suggest": "flights:airport_suggest",
}


@cache
def _nav_urls() -> dict[str, str]:
    return {name: reverse(view) for name, view in NAV_URLS.items()}


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "CURRENCY": settings.CURRENCY, "NAV": _nav_urls()}
