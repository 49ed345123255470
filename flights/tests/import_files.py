"""CSV files for the flight import tests (flights/tests/test_imports.py, staff/tests/test_imports.py)."""

import csv
import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from flights.imports.parsing import COLUMNS
from flights.models import FlightImport

DAY = (timezone.now() + timedelta(days=40)).date()


def row(number="SK101", origin="LHR", destination="JFK", departs="09:15", arrives="12:05", price="129.00", **more):
    """One CSV row on DAY (local times at each end); capacity and layout empty unless given."""
    return {
        "flight_number": number,
        "origin": origin,
        "destination": destination,
        "departure_local": f"{more.pop('departs_day', DAY)} {departs}",
        "arrival_local": f"{more.pop('arrives_day', DAY)} {arrives}",
        "price": price,
        "capacity": more.pop("capacity", ""),
        "layout": more.pop("layout", ""),
    }


def csv_bytes(rows, *, header=COLUMNS, preamble=(), delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for line in preamble:
        writer.writerow([line])
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    return out.getvalue().encode()


def upload(client, data: bytes, capture, name="timetable.csv"):
    """POST the file; the import task runs (eagerly) when the upload commits."""
    with capture(execute=True):
        return client.post(reverse("staff:import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def latest_import() -> FlightImport:
    return FlightImport.objects.latest("pk")
