"""Reads for flight imports: the recent ones, and one import's progress."""

from django.core.cache import cache
from django.db.models import QuerySet

from ..models import FlightImport


def progress_key(import_id: int) -> str:
    return f"flight-import-progress:{import_id}"


def flight_imports_recent(*, limit: int = 20) -> QuerySet[FlightImport]:
    return FlightImport.objects.select_related("created_by").order_by("-created_at", "-pk")[:limit]


def flight_import_progress(flight_import: FlightImport) -> dict:
    """Where the import stands, for the status page and its JSON. While it runs, the rows
    validated and imported come from the cache (the import's transaction hides its own
    writes); once it is finished, from the row. Redis down: the row's phase counters."""
    validated, imported = flight_import.rows_validated, flight_import.rows_imported
    if not flight_import.is_finished:
        live = cache.get(progress_key(flight_import.pk)) or {}
        validated = max(validated, live.get("validated", 0))
        imported = max(imported, live.get("imported", 0))
    total = flight_import.total_rows
    return {
        "id": flight_import.pk,
        "status": flight_import.status,
        "status_display": flight_import.get_status_display(),
        "finished": flight_import.is_finished,
        "total_rows": total,
        "rows_validated": validated,
        "rows_imported": imported,
        "validated_percent": round(100 * validated / total) if total else 0,
        "imported_percent": round(100 * imported / total) if total else 0,
        "created": flight_import.created_count,
        "updated": flight_import.updated_count,
        "unchanged": flight_import.unchanged_count,
        "error_count": flight_import.error_count,
    }
