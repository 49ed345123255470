from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from .services import admin_ensure_on_migrate

        post_migrate.connect(admin_ensure_on_migrate, sender=self)
