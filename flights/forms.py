import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils import timezone

from .models import FLIGHT_NUMBER_RE, Airport, Flight
from .places import place_name
from .search import FlightSearchQuery
from .search_cache import cached_airports_matching
from .seating import DEFAULT_LAYOUT, LAYOUT_CHOICES
from .selectors import SORTS, TIME_WINDOWS

SCHEDULE_HORIZON_DAYS = 365
MIN_STAFF_YEAR, MAX_STAFF_YEAR = 2000, 2100


class StaffDateField(forms.DateField):
    """A date staff type (a filter, a flight's day): only years the schedule can hold, so a
    typo like 0001 or 9999 is a message, not a time-zone sum past the calendar's end."""

    def clean(self, value):
        day = super().clean(value)
        if day and not MIN_STAFF_YEAR <= day.year <= MAX_STAFF_YEAR:
            raise forms.ValidationError(f"Enter a date between {MIN_STAFF_YEAR} and {MAX_STAFF_YEAR}.")
        return day


FLIGHT_FIELDS = ("number", "origin", "destination", "departs_at", "arrives_at", "price", "capacity", "layout")


def flight_fields(cleaned_data: dict) -> dict:
    """The keyword arguments flight_create / flight_update take, from a validated form."""
    return {name: cleaned_data[name] for name in FLIGHT_FIELDS}


def _unknown_place(text: str) -> str:
    return f"We don't know an airport or city called “{text}”. Try a three-letter code like LHR or a city like London."


class SearchForm(forms.Form):
    origin = forms.CharField(
        label="From",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "City or airport code", "autocomplete": "off"}),
    )
    destination = forms.CharField(
        label="To",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "City or airport code", "autocomplete": "off"}),
    )
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    # A CharField, so a tampered value falls back to "any time" instead of failing silently.
    window = forms.CharField(
        label="Departure time",
        widget=forms.Select(choices=[(key, value[0]) for key, value in TIME_WINDOWS.items()]),
        initial="any",
        required=False,
    )
    passengers = forms.IntegerField(
        label="Passengers", min_value=1, max_value=settings.MAX_PASSENGERS_PER_BOOKING, initial=1
    )
    # Result options, not search criteria: a tampered sort falls back to the default.
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    max_price = forms.DecimalField(
        label=f"Maximum price ({settings.CURRENCY})", required=False, min_value=0, max_digits=10, decimal_places=2
    )

    def __init__(self, *args, allow_anywhere: bool = False, **kwargs):
        """`allow_anywhere`: To may be left empty (the site's search then lists every
        destination from the origin, flights.views_discovery); `anywhere` says so after
        validation, and such a form has no `search_query()`."""
        super().__init__(*args, **kwargs)
        self.fields["destination"].required = not allow_anywhere
        self.anywhere = False
        self.fields["passengers"].error_messages["max_value"] = (
            f"You can book up to {settings.MAX_PASSENGERS_PER_BOOKING} passengers at once."
        )
        self.fields["passengers"].error_messages["min_value"] = "Choose at least one passenger."
        self.fields["date"].error_messages["invalid"] = "Enter a date like 2026-12-24."

    def clean(self):
        data = super().clean()
        places = {name: data[name].strip() for name in ("origin", "destination") if data.get(name)}
        matches = cached_airports_matching(list(places.values()))  # one cache round trip for both
        for name, text in places.items():
            if not matches[text]:
                self.add_error(name, _unknown_place(text))
        origins = self.origin_airports = matches.get(places.get("origin"), [])
        destinations = self.destination_airports = matches.get(places.get("destination"), [])
        self.anywhere = not self.fields["destination"].required and data.get("destination") == ""
        if origins and destinations and {a.pk for a in origins} & {a.pk for a in destinations}:
            self.add_error("destination", "Choose a destination different from where you fly from.")
        day = data.get("date")
        if day and origins:
            local_today = timezone.now().astimezone(origins[0].zone).date()
            if day < local_today:
                self.add_error("date", "That date has passed. Choose today or a later date.")
            elif day > local_today + timedelta(days=SCHEDULE_HORIZON_DAYS):
                self.add_error("date", f"We only sell flights up to {SCHEDULE_HORIZON_DAYS} days ahead.")
        if data.get("window") not in TIME_WINDOWS:
            data["window"] = "any"
        if data.get("sort") not in SORTS:
            data["sort"] = "departure"
        return data

    @property
    def origin_name(self) -> str:
        """The origin as headings name it (flights.places.place_name), from a valid form."""
        return place_name(self.origin_airports, self.cleaned_data["origin"])

    @property
    def destination_name(self) -> str:
        return place_name(self.destination_airports, self.cleaned_data["destination"])

    def search_query(self, *, cursor: str | None = None) -> FlightSearchQuery:
        """The search for flights.search, from a valid form (`cursor`: the page to show)."""
        data = self.cleaned_data
        return FlightSearchQuery(
            origins=tuple(self.origin_airports),
            destinations=tuple(self.destination_airports),
            day=data["date"],
            window=data["window"] or "any",
            passengers=data["passengers"],
            sort=data["sort"],
            max_price=data["max_price"],
            cursor=cursor or None,
        )


class AirportCodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", 3)
        super().__init__(**kwargs)

    def clean(self, value):
        code = super().clean(value).strip().upper()
        airport = Airport.objects.filter(iata=code).first()
        if airport is None:
            raise forms.ValidationError(f"No airport has the IATA code {code}.")
        return airport


class StaffFlightForm(forms.Form):
    """Times are entered in each airport's local time, as on a printed timetable."""

    number = forms.CharField(label="Flight number", max_length=8)
    origin = AirportCodeField(label="From", help_text="IATA code, e.g. LHR")
    destination = AirportCodeField(label="To", help_text="IATA code, e.g. JFK")
    departure_date = StaffDateField(
        label="Departure date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    departure_time = forms.TimeField(
        label="Departure time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    arrival_date = StaffDateField(
        label="Arrival date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    arrival_time = forms.TimeField(label="Arrival time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    capacity = forms.IntegerField(label="Seats", min_value=1, max_value=600, initial=settings.DEFAULT_FLIGHT_CAPACITY)
    layout = forms.ChoiceField(label="Cabin layout", choices=LAYOUT_CHOICES, initial=DEFAULT_LAYOUT)
    price = forms.DecimalField(
        label=f"Price per seat ({settings.CURRENCY})", min_value=Decimal("0"), max_digits=10, decimal_places=2
    )

    def __init__(self, *args, flight_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.flight_id = flight_id
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_number(self):
        number = self.cleaned_data["number"].strip().upper().replace(" ", "")
        if not re.fullmatch(FLIGHT_NUMBER_RE, number):
            raise forms.ValidationError("Use an airline code and a number, like SK123.")
        return number

    def clean(self):
        data = super().clean()
        origin, destination = data.get("origin"), data.get("destination")
        if origin and destination and origin == destination:
            self.add_error("destination", "Origin and destination must differ.")
        if origin and data.get("departure_date") and data.get("departure_time"):
            data["departs_at"] = self._instant(data["departure_date"], data["departure_time"], origin, "departure_time")
        if destination and data.get("arrival_date") and data.get("arrival_time"):
            data["arrives_at"] = self._instant(data["arrival_date"], data["arrival_time"], destination, "arrival_time")
        if data.get("departs_at") and data.get("arrives_at"):
            flight_time = data["arrives_at"] - data["departs_at"]
            if flight_time <= timedelta(0):
                self.add_error("arrival_time", "Arrival must be after departure (times are local to each airport).")
            elif flight_time > timedelta(hours=20):
                self.add_error("arrival_time", "That flight would last over 20 hours; check the dates and times.")
        if data.get("number") and data.get("departs_at"):
            clash = Flight.objects.filter(number=data["number"], departs_at=data["departs_at"]).exclude(
                pk=self.flight_id
            )
            if clash.exists():
                self.add_error("number", "This flight number already departs at that time.")
        return data

    def _instant(self, day, time, airport, field: str) -> datetime | None:
        """The UTC instant of a local date and time at `airport`, or None (with a form error)
        for a time the clocks skip there.

        In UTC, so that it compares equal to the same instant read from the database: an
        aware datetime in a DST fold or gap never equals one in another zone (PEP 495), and
        an unchanged flight would look moved. A time that occurs twice (clocks going back) is
        the first one, still on summer time."""
        local = datetime.combine(day, time, tzinfo=airport.zone)
        instant = local.astimezone(UTC)
        if instant.astimezone(airport.zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            self.add_error(
                field,
                f"{time:%H:%M} on {day:%d %b %Y} does not exist in {airport.iata} (the clocks go forward then).",
            )
            return None
        return instant

    @classmethod
    def initial_for(cls, flight) -> dict:
        departs, arrives = flight.departs_local(), flight.arrives_local()
        return {
            "number": flight.number,
            "origin": flight.origin.iata,
            "destination": flight.destination.iata,
            "departure_date": departs.date(),
            "departure_time": departs.time(),
            "arrival_date": arrives.date(),
            "arrival_time": arrives.time(),
            "capacity": flight.capacity,
            "layout": flight.layout,
            "price": flight.price,
        }
