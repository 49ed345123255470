"""Reading accounts."""

from django.db.models import Q, QuerySet


def users_matching(users: QuerySet, text: str) -> QuerySet:
    """`users` whose e-mail, first or last name contains `text` (any case); all for blank text.
    The staff users page and the API's `?q=` search both use it."""
    text = (text or "").strip()
    if not text:
        return users
    return users.filter(Q(email__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
