from django.apps import AppConfig


class BookingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bookings"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the "your flight changed" e-mail)
