"""Accounts for notifications' own tests, made through the user model Django is configured
with: notifications imports no app above it (docs/development.md), its tests included."""

import itertools

from django.contrib.auth import get_user_model

_numbers = itertools.count(1)


def make_user(**fields):
    """A passenger with a unique e-mail address (and a usable password, "secret-pass-1")."""
    number = next(_numbers)
    fields.setdefault("email", f"notified{number}@example.test")
    fields.setdefault("first_name", f"Passenger{number}")
    password = fields.pop("password", "secret-pass-1")
    return get_user_model().objects.create_user(password=password, **fields)
