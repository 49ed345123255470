"""Shapes every resource shares: money, airports, flights, and running a site form."""

from datetime import UTC
from functools import cached_property

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from booking_site.lib.formats import local_moment


class MoneySerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="A decimal string, to the cent.")
    currency = serializers.CharField(help_text="ISO 4217 code; one currency per site.")


def absolute(request, name: str, *args) -> str:
    """The absolute URL of a named route (relative without a request)."""
    path = reverse(name, args=args)
    return request.build_absolute_uri(path) if request is not None else path


def money(amount) -> dict | None:
    """{"amount": "129.00", "currency": "EUR"} (None stays None): amounts are strings, never floats."""
    if amount is None:
        return None
    return {"amount": f"{amount:.2f}", "currency": settings.CURRENCY}


class AirportSerializer(serializers.Serializer):
    iata = serializers.CharField()
    name = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2")
    time_zone = serializers.CharField(source="tz", help_text="IANA time zone, e.g. Europe/London")


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalTimeField(serializers.Field):
    """An instant on an airport's wall clock, ISO 8601 with its UTC offset
    ("2026-12-24T08:30:00+01:00"): what the timetable at that airport says."""

    def __init__(self, *, moment: str, airport: str, **kwargs):
        self.moment, self.airport = moment, airport
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return local_moment(getattr(value, self.moment), getattr(value, self.airport).zone).isoformat()


def utc_iso(moment) -> str:
    """An aware datetime as DRF writes it: ISO 8601 in UTC, "Z" for the offset."""
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def airport_data(airport) -> dict:
    return {
        "iata": airport.iata,
        "name": airport.name,
        "city": airport.city,
        "country": airport.country,
        "time_zone": airport.tz,
    }


class FlightSerializer(serializers.Serializer):
    """A flight. The declared fields are the documented shape; `to_representation` writes the
    same dict directly, because a search page serialises up to 100 flights and DRF's per-field
    machinery was a fifth of an uncached search (bench/api.py). A test checks both agree."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=["scheduled", "cancelled"])
    origin = AirportSerializer()
    destination = AirportSerializer()
    departs_at = serializers.DateTimeField(help_text="UTC")
    arrives_at = serializers.DateTimeField(help_text="UTC")
    departs_local = LocalTimeField(
        moment="departs_at", airport="origin", help_text="Local time at the origin, with its offset"
    )
    arrives_local = LocalTimeField(
        moment="arrives_at", airport="destination", help_text="Local time at the destination, with its offset"
    )
    duration_minutes = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField(help_text="Per seat")
    seats_left = serializers.SerializerMethodField(
        help_text="May be a few seconds old; a hold checks again. 0 once cancelled"
    )
    capacity = serializers.IntegerField()
    layout = serializers.CharField(help_text="Cabin layout, e.g. 3-3")
    links = serializers.SerializerMethodField()

    def get_seats_left(self, flight) -> int:
        return 0 if flight.is_cancelled else flight.seats_left

    def get_duration_minutes(self, flight) -> int:
        return int(flight.duration.total_seconds() // 60)

    @extend_schema_field(MoneySerializer)
    def get_price(self, flight):
        return money(flight.price)

    @extend_schema_field({"type": "object", "properties": {"self": {"type": "string"}, "seat_map": {"type": "string"}}})
    def get_links(self, flight) -> dict:
        flight_url = f"{self._flights_url}/{flight.pk}"
        return {"self": flight_url, "seat_map": f"{flight_url}/seat-map"}

    @cached_property
    def _flights_url(self) -> str:
        """/api/v1/flights, absolute: reversed once per serializer, not twice per flight."""
        return absolute(self.context.get("request"), "api:flights")

    def to_representation(self, flight) -> dict:
        origin, destination = flight.origin, flight.destination
        return {
            "id": flight.pk,
            "number": flight.number,
            "status": flight.status,
            "origin": airport_data(origin),
            "destination": airport_data(destination),
            "departs_at": utc_iso(flight.departs_at),
            "arrives_at": utc_iso(flight.arrives_at),
            "departs_local": local_moment(flight.departs_at, origin.zone).isoformat(),
            "arrives_local": local_moment(flight.arrives_at, destination.zone).isoformat(),
            "duration_minutes": self.get_duration_minutes(flight),
            "price": money(flight.price),
            "seats_left": self.get_seats_left(flight),
            "capacity": flight.capacity,
            "layout": flight.layout,
            "links": self.get_links(flight),
        }


def run_form(form, *, names: dict[str, str] | None = None) -> dict:
    """Validate with one of the site's forms (the rule lives there, once) and return its
    cleaned data; its errors become a DRF ValidationError under the API's field names
    (`names` maps form field names to API ones; unmapped ones keep theirs)."""
    if form.is_valid():
        return form.cleaned_data
    names = names or {}
    errors: dict[str, list[str]] = {}
    for field, messages in form.errors.items():
        api_name = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else names.get(field, field)
        errors.setdefault(api_name, []).extend(str(message) for message in messages)
    raise serializers.ValidationError(errors)
