"""Airports from the PyPI package `airportsdata`: every airport with an IATA code."""

import airportsdata
from django.db import transaction

from booking_site.lib.text import fold

from .models import Airport

FIELDS = ["icao", "name", "city", "country", "tz", "latitude", "longitude", "city_folded", "name_folded"]


def airports_load() -> int:
    """Insert or update every IATA airport (keyed by code). Re-running updates, never duplicates.

    Returns the number of airports in the data set.
    """
    data = airportsdata.load("IATA")
    rows = [
        Airport(
            iata=code,
            icao=entry["icao"] or "",
            name=entry["name"][:200],
            city=(entry["city"] or "")[:200],
            country=entry["country"][:2],
            tz=entry["tz"],
            latitude=entry["lat"],
            longitude=entry["lon"],
            city_folded=fold(entry["city"] or "")[:200],
            name_folded=fold(entry["name"])[:200],
        )
        for code, entry in data.items()
        if entry["tz"] and len(code) == 3
    ]
    with transaction.atomic():
        Airport.objects.bulk_create(
            rows, batch_size=2000, update_conflicts=True, unique_fields=["iata"], update_fields=FIELDS
        )
    return len(rows)
