from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with our site (booking_site.admin.SkywayAdminSite) as `admin.site`."""

    default_site = "booking_site.admin.SkywayAdminSite"
