"""The few site-wide views that belong to no app."""

from django.shortcuts import redirect
from django.templatetags.static import static


def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links: our icon, never a 404.
    Not a permanent redirect: the static file's hashed name changes when the icon does."""
    return redirect(static("favicon.ico"))
