"""Database helpers shared by every app."""

from django.db import IntegrityError


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint or unique index an IntegrityError broke, as PostgreSQL
    reports it (psycopg's `diag.constraint_name`), or None when it does not say (a NOT NULL
    violation, say). Matching on the name, not on the message text, survives a translated
    or reworded message."""
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None)
