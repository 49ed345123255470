"""Request budgets, counted in Redis: per signed-in user and per client address on every
request, and a tighter one per address on the auth endpoints (token, refresh, logout, sign-up). Past a
budget the answer is 429 `throttled` with Retry-After. Rates are settings (API_RATE_*), read
on every request so a deployment (or a test) can change them.

Each budget is a counter per fixed window (INCR, with the window as its expiry), all of a
request's budgets in one pipelined round trip: constant work per request, whatever the rate.
DRF's own throttles keep a list of every request's time in the window and rewrite it each time,
which grows with the rate allowed. If Redis cannot be reached, requests are let through (and
logged): a cache outage must not take the API down.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from booking_site.lib.http import client_address

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/min" -> (600 requests, 60 seconds)."""
    count, period = rate.split("/")
    return int(count), PERIODS[period.strip()[0]]


class _Budgets(BaseThrottle):
    """The budgets (setting, scope, who) of a request; `who` None means the budget does not apply."""

    def budgets(self, request) -> list[tuple[str, str, str | None]]:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        now = time.time()
        checks = []
        for setting, scope, who in self.budgets(request):
            if who is None:
                continue
            limit, seconds = parse_rate(getattr(settings, setting))
            window = int(now // seconds)
            key = caches["default"].make_key(f"throttle:{scope}:{who}:{window}")
            checks.append((key, limit, seconds, (window + 1) * seconds - now))
        if not checks:
            return True
        try:
            pipe = get_redis_connection("default").pipeline(transaction=False)
            for key, _limit, seconds, _left in checks:
                pipe.incr(key)
                pipe.expire(key, seconds + 1)
            counts = pipe.execute()[::2]
        except (RedisError, OSError):
            logger.warning("API throttling skipped: Redis cannot be reached", exc_info=True)
            return True
        over = [left for (_key, limit, _seconds, left), count in zip(checks, counts, strict=True) if count > limit]
        self._wait = max(over, default=None)
        return not over

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


class RequestThrottle(_Budgets):
    """Every request: per signed-in user (whatever address), and per client address (behind a
    proxy, the header RATELIMIT_IP_META_KEY names)."""

    def budgets(self, request):
        user = request.user if request.user and request.user.is_authenticated else None
        return [
            ("API_RATE_USER", "user", str(user.pk) if user else None),
            ("API_RATE_ADDRESS", "address", client_address(request) or "unknown"),
        ]


class AuthThrottle(_Budgets):
    """Sign-in, token refresh, logout and sign-up, per client address: password guessing is slow."""

    def budgets(self, request):
        return [("API_RATE_AUTH", "auth", client_address(request) or "unknown")]
