"""Request budgets, counted in Redis (the default cache): per signed-in user, per client
address, and a tighter one per address on the auth endpoints. Past a budget the answer is 429
`throttled` with Retry-After. Rates are settings (API_RATE_*), read on every request so a
deployment (or a test) can change them."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from booking_site.lib.http import client_address


class _SettingRateThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self) -> str:
        return getattr(settings, self.setting)


class UserThrottle(_SettingRateThrottle):
    """Per signed-in user, whatever address they come from."""

    scope = "user"
    setting = "API_RATE_USER"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressThrottle(_SettingRateThrottle):
    """Per client address (behind a proxy, the header RATELIMIT_IP_META_KEY names)."""

    scope = "address"
    setting = "API_RATE_ADDRESS"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_address(request) or "unknown"}


class AuthThrottle(AddressThrottle):
    """Sign-in, token refresh and sign-up, per client address: password guessing is slow."""

    scope = "auth"
    setting = "API_RATE_AUTH"
