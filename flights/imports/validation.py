"""Each row of an import through the staff flight form's rules, with row-numbered errors.

The rules are `StaffFlightForm`'s own (flight number format, airports that exist and differ,
local times in each airport's zone, arrival after departure and within 20 hours, seats 1-600,
a known cabin layout, a price of 0 or more), so a row is accepted exactly when the "Add a
flight" form would accept it. Two things change, for speed and for what an import means:
airports are looked up in a dict loaded once per file instead of a query per cell, and the
form's "this number already departs at that time" check is left out: in an import that row
is the existing flight, to be left alone or updated.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.conf import settings

from ..forms import AirportCodeField, StaffFlightForm, flight_fields
from ..models import Airport
from ..seating import DEFAULT_LAYOUT
from .parsing import CsvRow

MAX_ERRORS = 100  # listed on the status page; the rest are only counted
PROGRESS_EVERY = 500  # rows between progress reports

# Form field -> the CSV column a person fixes.
FIELD_COLUMNS = {
    "number": "flight_number",
    "origin": "origin",
    "destination": "destination",
    "departure_date": "departure_local",
    "departure_time": "departure_local",
    "arrival_date": "arrival_local",
    "arrival_time": "arrival_local",
    "capacity": "capacity",
    "layout": "layout",
    "price": "price",
}
COLUMN_ORDER = tuple(dict.fromkeys(FIELD_COLUMNS.values()))


class _LoadedAirportField(AirportCodeField):
    """AirportCodeField against the airports of the file, loaded in one query."""

    airports: dict[str, Airport] | None = None

    def clean(self, value):
        code = forms.CharField.clean(self, value).strip().upper()
        airport = self.airports.get(code)
        if airport is None:
            raise forms.ValidationError(f"No airport has the IATA code {code}.")
        return airport


class ImportRowForm(StaffFlightForm):
    origin = _LoadedAirportField(label="From")
    destination = _LoadedAirportField(label="To")

    def __init__(self, *args, airports: dict[str, Airport], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin"].airports = self.fields["destination"].airports = airports

    def clean(self):
        # StaffFlightForm.clean looks the number and departure up in the database when both are
        # set; without the number it applies every other rule. The file as a whole is matched
        # against the schedule at once, when it is imported.
        number = self.cleaned_data.pop("number", None)
        data = super().clean()
        if number is not None:
            data["number"] = number
        return data


def _split_moment(text: str) -> tuple[str, str]:
    """ "2026-12-01 09:15" (or with a T) -> ("2026-12-01", "09:15"); ("", "") when it is not two parts."""
    parts = text.replace("T", " ").split()
    return (parts[0], parts[1]) if len(parts) == 2 else ("", "")


def _date_and_time(text: str) -> tuple:
    """The form's date and time fields' input. ISO text ("2026-12-01 09:15") is parsed here, as
    a date and a time the fields take as they are: the fields would first try the day-first
    formats, and a failed strptime costs more than the rest of a row's checks. Anything else
    goes to the fields as text, for their other formats and their messages."""
    parts = _split_moment(text)
    if parts == ("", ""):
        return parts
    try:
        moment = datetime.fromisoformat(f"{parts[0]} {parts[1]}")
    except ValueError:
        return parts
    return parts if moment.tzinfo else (moment.date(), moment.time())


def _form_data(values: dict[str, str]) -> dict:
    departure_date, departure_time = _date_and_time(values["departure_local"])
    arrival_date, arrival_time = _date_and_time(values["arrival_local"])
    return {
        "number": values["flight_number"],
        "origin": values["origin"],
        "destination": values["destination"],
        "departure_date": departure_date,
        "departure_time": departure_time,
        "arrival_date": arrival_date,
        "arrival_time": arrival_time,
        "price": values["price"],
        "capacity": values["capacity"] or str(settings.DEFAULT_FLIGHT_CAPACITY),
        "layout": values["layout"] or DEFAULT_LAYOUT,
    }


def _moment_errors(values: dict[str, str]) -> dict[str, str]:
    """A clearer message than "This field is required." for a date-time that is not one."""
    found = {}
    for column in ("departure_local", "arrival_local"):
        if values[column] and _split_moment(values[column]) == ("", ""):
            found[column] = f"{values[column]!r} is not a date and time; write it like 2026-12-01 09:15."
        elif not values[column]:
            found[column] = "This field is required."
    return found


@dataclass
class Validation:
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (row number, flight_create/update kwargs)
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS, "Row 14: origin: ..."
    error_count: int = 0

    def add_error(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)


def airports_for(rows: Iterable[CsvRow]) -> dict[str, Airport]:
    """The airports the rows name, by IATA code, in one query."""
    codes = {row.values[column].strip().upper() for row in rows for column in ("origin", "destination")}
    return {airport.iata: airport for airport in Airport.objects.filter(iata__in=codes - {""})}


def validate_rows(rows: list[CsvRow], *, on_progress: Callable[[int], None] | None = None) -> Validation:
    """Every row checked, none written. A row that repeats another's flight number and
    departure is an error (which of the two should win is for a person to say)."""
    # One form, bound to each row in turn: building a form deep-copies its fields, which costs
    # more than checking a row, and the fields keep nothing of the rows they cleaned.
    # full_clean() starts from empty cleaned_data and errors every time.
    form = ImportRowForm({}, airports=airports_for(rows))
    result = Validation()
    first_row_of: dict[tuple, int] = {}
    for index, row in enumerate(rows, start=1):
        row_errors = [f"Row {row.number}: {problem}." for problem in row.problems]
        form.data = _form_data(row.values)
        form.full_clean()
        if not form.errors:
            fields = flight_fields(form.cleaned_data)
            key = (fields["number"], fields["departs_at"])
            if key in first_row_of:
                row_errors.append(
                    f"Row {row.number}: flight {fields['number']} departing {row.values['departure_local']} "
                    f"is already on row {first_row_of[key]}."
                )
            else:
                first_row_of[key] = row.number
            if not row_errors:
                result.rows.append((row.number, fields))
        else:
            by_column = _moment_errors(row.values)
            for name, messages in form.errors.items():
                column = FIELD_COLUMNS.get(name)
                if column not in by_column:
                    by_column[column] = " ".join(messages)
            for column in (*COLUMN_ORDER, None):
                if column not in by_column:
                    continue
                prefix = f"Row {row.number}: {column}: " if column else f"Row {row.number}: "
                row_errors.append(prefix + by_column[column])
        for error in row_errors:
            result.add_error(error)
        if on_progress and (index % PROGRESS_EVERY == 0 or index == len(rows)):
            on_progress(index)
    return result
