"""Reads for flight imports: the recent ones, and one import's progress."""

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet

from ..models import FlightImport


def flight_imports_recent(*, limit: int = 20) -> QuerySet[FlightImport]:
    return FlightImport.objects.select_related("created_by").order_by("-created_at", "-pk")[:limit]


def flight_import_progress_text(flight_import: FlightImport) -> str:
    """Where the import stands, in a sentence for its status page and its JSON (the numbers
    come from the import's row, where the run writes its progress in both phases)."""
    done, total = intcomma(flight_import.progress_done), intcomma(flight_import.progress_total)
    if flight_import.status == FlightImport.Status.VALIDATING:
        return f"Checking rows: {done} of {total}"
    if flight_import.status == FlightImport.Status.IMPORTING:
        return f"Importing rows: {done} of {total}"
    if flight_import.is_waiting:
        return "Waiting for a worker to start the import"
    return flight_import.get_status_display()
