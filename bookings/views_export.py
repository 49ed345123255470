"""Export my bookings as CSV: start it, watch its progress, download the file. Owner only:
anyone else, staff included, gets a 404 (the owner check is in the query)."""

import posixpath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from booking_site.lib.jobs import job_progress_data

from .models import BookingExport
from .services import exports

# How often the page reloads itself while the export runs, when JavaScript is off.
REFRESH_SECONDS = 3


def _owned_export(request, export_id: int) -> BookingExport:
    return get_object_or_404(BookingExport, pk=export_id, user=request.user)


def progress_text(export: BookingExport) -> str:
    if export.is_waiting or not export.progress_total:
        return "Starting…"
    total = export.progress_total
    noun = "account" if export.kind == BookingExport.Kind.USERS else "booking"
    return f"{export.progress_done} of {total} {noun}{'' if total == 1 else 's'} written"


@login_required
@require_POST
def export_start(request):
    """Start an export, or show the one already running: one at a time per passenger."""
    export, started = exports.export_start(user=request.user)
    if started:
        messages.success(
            request, "Your export has started. We will let you know here and by e-mail when the file is ready."
        )
    else:
        messages.info(request, "You already have an export in progress: here it is.")
    return redirect("bookings:export", export_id=export.pk)


@login_required
@require_safe
@never_cache
def export_detail(request, export_id: int):
    """Progress while running (reloading itself without JavaScript, polling with
    static/js/job_progress.js), then the download link and when it expires."""
    export = _owned_export(request, export_id)
    return render(
        request,
        "bookings/export_detail.html",
        {
            "export": export,
            "expired": export.is_expired(timezone.now()),
            "progress_text": progress_text(export),
            "refresh_seconds": REFRESH_SECONDS,
            "users_list": export.kind == export.Kind.USERS,
        },
    )


@login_required
@require_safe
@never_cache
def export_progress(request, export_id: int):
    """The progress page's JSON, polled by static/js/job_progress.js: the shape every job's
    progress has (`job_progress_data`)."""
    export = _owned_export(request, export_id)
    return JsonResponse(
        job_progress_data(export, text=progress_text(export), url=reverse("bookings:export", args=[export.pk]))
    )


@login_required
@require_safe
@never_cache
def export_download(request, export_id: int):
    """The CSV as an attachment. Once expired: a 410 page, and the file is deleted."""
    export = _owned_export(request, export_id)
    if export.is_expired(timezone.now()):
        exports.export_expire(export_id=export.pk)
        return render(request, "bookings/export_expired.html", {"export": export}, status=410)
    if export.status != BookingExport.Status.DONE:
        return redirect("bookings:export", export_id=export.pk)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:  # removed from storage behind our back: as good as expired
        return render(request, "bookings/export_expired.html", {"export": export}, status=410)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=posixpath.basename(export.file.name),
        content_type="text/csv; charset=utf-8",
    )
