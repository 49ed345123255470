"""The flight import: upload, sample file, status (and its JSON for polling)."""

import uuid

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from booking_site.lib.jobs import job_progress_data
from flights.imports.parsing import COLUMNS, ImportFileError, sample_csv
from flights.imports.selectors import flight_import_progress_text, flight_imports_recent
from flights.imports.services import flight_import_start
from flights.imports.validation import MAX_ERRORS
from flights.models import Airport, FlightImport

from ..decorators import staff_required
from ..forms import FlightImportForm

SAMPLE_AIRPORTS = ("LHR", "JFK", "CDG")
STATUS_REFRESH_SECONDS = 2


@staff_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    if request.method == "POST":
        form = FlightImportForm(request.POST, request.FILES)
    else:
        form = FlightImportForm(initial={"token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        try:
            flight_import = flight_import_start(
                user=request.user, upload=form.cleaned_data["file"], token=form.cleaned_data["token"]
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("staff:import_status", import_id=flight_import.pk)
    return render(
        request,
        "staff/import_upload.html",
        {"form": form, "imports": flight_imports_recent(), "columns": COLUMNS},
        status=400 if form.errors else 200,
    )


@staff_required
@require_GET
def import_sample(request):
    wanted = list(Airport.objects.filter(iata__in=SAMPLE_AIRPORTS).values_list("iata", "tz"))
    wanted.sort(key=lambda airport: SAMPLE_AIRPORTS.index(airport[0]))
    if len(wanted) < 2:
        wanted = list(Airport.objects.order_by("-scheduled_departures", "iata").values_list("iata", "tz")[:3])
    if len(wanted) < 2:
        wanted = [("LHR", "Europe/London"), ("JFK", "America/New_York"), ("CDG", "Europe/Paris")]
    response = HttpResponse(sample_csv(wanted), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="flight-import-sample.csv"'
    return response


def _progress(flight_import: FlightImport) -> dict:
    return job_progress_data(
        flight_import,
        text=flight_import_progress_text(flight_import),
        url=reverse("staff:import_status", args=[flight_import.pk]),
    )


@staff_required
@require_GET
def import_status(request, import_id: int):
    """The import's progress while it runs (polled by static/js/job_progress.js, or refreshed
    by the page itself without JavaScript), then its result."""
    flight_import = get_object_or_404(FlightImport.objects.select_related("created_by"), pk=import_id)
    return render(
        request,
        "staff/import_status.html",
        {
            "flight_import": flight_import,
            "progress": _progress(flight_import),
            "refresh_seconds": STATUS_REFRESH_SECONDS,
            "max_errors": MAX_ERRORS,
        },
    )


@staff_required
@require_GET
def import_progress(request, import_id: int):
    """The status page's JSON: the shape every job's progress has (`job_progress_data`)."""
    flight_import = get_object_or_404(FlightImport, pk=import_id)
    response = JsonResponse(_progress(flight_import))
    response["Cache-Control"] = "no-store"
    return response
