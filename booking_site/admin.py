"""django-admin for the whole project (INSTALLED_APPS names booking_site.apps.AdminConfig, so
`admin.site` everywhere is this site): staff get in only with a second factor shown this
session (accounts.two_factor), as on the staff pages and the staff API."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from accounts.two_factor import is_verified


class SkywayAdminSite(admin.AdminSite):
    site_header = "Skyway administration"
    site_title = "Skyway admin"

    def has_permission(self, request):
        return super().has_permission(request) and is_verified(request.user)

    def login(self, request, extra_context=None):
        """A signed-in staff member who has not shown a second factor goes to the two-step page
        (or to set one up), then on to the admin, instead of a password form they just filled."""
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not is_verified(user):
            target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
            return redirect_to_login(target, reverse("accounts:two_factor_verify"))
        return super().login(request, extra_context)
