"""The staff home page: the airline at a glance for a period (staff/dashboard.py)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..dashboard import dashboard
from ..decorators import staff_required
from ..forms import DashboardPeriodForm
from ..selectors_dashboard import Period


@staff_required
@require_GET
def dashboard_page(request):
    form = DashboardPeriodForm(request.GET or None)
    zone = ZoneInfo(request.user.time_zone or settings.TIME_ZONE)  # the staff member's choice (profile)
    days, chosen = form.period_bounds()
    period = Period(first=chosen[0], last=chosen[1], zone=zone) if chosen else Period.ending_today(days, zone=zone)
    return render(request, "staff/dashboard.html", {"form": form, "period": period, **dashboard(period)})
