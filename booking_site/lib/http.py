"""Request helpers shared by every app's views."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, candidate: str | None, *, default: str, avoid: tuple[str, ...] = ()) -> str:
    """Where to send the visitor after a form: `candidate` (a `next` taken from the request)
    when it is a path on this site, else `default`.

    Only a path starting with a single "/" is taken: never another host or scheme, never a
    bare word (Django's `redirect()` would try it as a view name and fail), never control
    characters. A target whose path is in `avoid` (the page itself, say) gives `default`,
    so a form never redirects to itself in a loop.
    """
    if not candidate or not isinstance(candidate, str) or len(candidate) > 2000:
        return default
    if not candidate.startswith("/") or candidate.startswith("//") or candidate.startswith("/\\"):
        return default
    if any(ord(char) < 32 or ord(char) == 127 for char in candidate):
        return default
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    if candidate.split("?", 1)[0].split("#", 1)[0] in avoid:
        return default
    return candidate


def client_address(request: HttpRequest) -> str:
    """The client's IP address, "" when there is none that parses as one.

    - Directly on the internet (the default): REMOTE_ADDR. A client's X-Forwarded-For is
      never believed: anyone can send one.
    - Behind TRUSTED_PROXY_COUNT proxies that each append the address they received from to
      X-Forwarded-For: the address the outermost trusted proxy saw, counted from the right,
      so whatever a client prepended itself is ignored.
    - Or RATELIMIT_IP_META_KEY: a header the proxy sets itself, such as X-Real-IP.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        candidate = hops[-proxies] if len(hops) >= proxies else ""
    else:
        raw = request.META.get(meta_key or "REMOTE_ADDR") or ""
        candidate = raw.split(",", 1)[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


def client_network(address: str) -> str:
    """The unit one client is counted by: an IPv4 address, or an IPv6 /64 (one household or
    host is handed a whole /64, and could rotate through it). "" stays ""."""
    if not address:
        return ""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
