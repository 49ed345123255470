"""Registered users: a paginated, searchable list and each account's page."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.middleware import last_seen
from bookings.models import BookingExport
from bookings.selectors_users import user_bookings, user_emails, users_for_staff
from bookings.services import exports

from ..decorators import staff_required
from ..forms import UserFilterForm

PAGE_SIZE = 50


@staff_required
@require_GET
def user_list(request):
    form = UserFilterForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    users = users_for_staff(q=query, staff=form.staff_filter())
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    for user in page.object_list:
        user.seen = last_seen(user)
    return render(request, "staff/user_list.html", {"form": form, "page": page, "query": query})


@staff_required
@require_GET
def user_detail(request, user_id: int):
    account = get_object_or_404(get_user_model(), pk=user_id)
    return render(
        request,
        "staff/user_detail.html",
        {
            "account": account,
            "seen": last_seen(account),
            "bookings": user_bookings(account),
            "emails": user_emails(account),
        },
    )


@staff_required
@require_POST
def users_export(request):
    """Export the users list as filtered (CSV, through the export job): its progress page."""
    form = UserFilterForm(request.POST)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    export, started = exports.export_start(
        user=request.user, kind=BookingExport.Kind.USERS, params={"q": query, "staff": form.staff_filter()}
    )
    if not started:
        messages.info(request, "An export of yours is still being written: here it is.")
    return redirect("bookings:export", export_id=export.pk)
