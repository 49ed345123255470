"""The signed-in user's on-site alerts (the bell in the navbar): list them, mark them read.

Opening the list does not mark anything read: a GET never writes, and a glance at the list
should not lose track of what is new. The user marks alerts read with a button (one, or all).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from booking_site.lib.formats import format_local
from booking_site.lib.viewer_zone import request_zone

from .models import Alert
from .services import alerts_mark_read

ALERTS_PER_PAGE = 25


@login_required
@require_safe
def alert_list(request):
    """The user's alerts, newest first; unread ones highlighted. Only the user's own."""
    alerts = Alert.objects.filter(user_id=request.user.pk).order_by("-created_at", "-pk")
    page = Paginator(alerts, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    # When each arrived, on the reader's clock (an alert belongs to no airport).
    zone = request_zone(request)
    page.object_list = list(page.object_list)
    for alert in page.object_list:
        alert.arrived = format_local(alert.created_at, zone, "D j M Y, H:i T")
    return render(request, "notifications/alert_list.html", {"page": page})


@login_required
@require_POST
def alert_mark_read(request):
    """Mark one alert read (`alert` = its id) or, without one, all of the user's alerts.
    Another user's alert id, or one that is not a number, marks nothing."""
    alert_id = request.POST.get("alert")
    if alert_id is None:
        count = alerts_mark_read(user_id=request.user.pk)
        messages.success(
            request, f"Marked {count} alert{'' if count == 1 else 's'} as read." if count else "No unread alerts."
        )
    elif alert_id.isascii() and alert_id.isdigit() and len(alert_id) < 19:  # "²" is a digit too
        alerts_mark_read(user_id=request.user.pk, alert_ids=[int(alert_id)])
    return redirect("notifications:alerts")
