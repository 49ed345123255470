from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Every staff page (namespace `staff:`). It calls the domain apps' services and
    selectors; no domain app imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "staff"
