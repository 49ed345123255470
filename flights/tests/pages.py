"""Read a results page as a passenger sees it: the rendered HTML, which may come from the cache
(a cached page has no template context to inspect)."""

import html
import re

_NUMBER = re.compile(r'<article class="card flight-card[^"]*" data-number="([^"]+)"')
_NEXT = re.compile(r'<a class="btn btn-outline-primary" href="([^"]+)">Show more flights</a>')


def listed_numbers(response) -> list[str]:
    """The flight numbers on the page, top to bottom."""
    return _NUMBER.findall(response.content.decode())


def next_page_url(response) -> str | None:
    found = _NEXT.search(response.content.decode())
    return html.unescape(found.group(1)) if found else None
