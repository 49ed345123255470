from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.two_factor import is_verified


def staff_required(view):
    """Anonymous visitors go to the login page; signed-in non-staff get 403; staff who have not
    shown their second factor this session go to the two-step page (which sends anyone without
    one to set it up), then back here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied("Staff only.")
        if not is_verified(request.user):
            return redirect_to_login(request.get_full_path(), reverse("accounts:two_factor_verify"))
        return view(request, *args, **kwargs)

    return wrapper
