"""Search, airports and the seat map."""

from dataclasses import replace

from django.conf import settings
from rest_framework import serializers

from flights.forms import SearchForm
from flights.search import FlightSearchQuery
from flights.selectors import TIME_WINDOWS

from .common import FlightSerializer, MoneySerializer, run_form

# The API's sort names, and the search service's.
SORTS = {"departure": "departure", "price": "price", "fastest": "duration"}
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
FLAGS = {"true": True, "1": True, "false": False, "0": False}
MAX_CURSOR_LENGTH = 200


class SearchParamsSerializer(serializers.Serializer):
    """The query string of GET /flights, for the schema; `parse_search` reads it."""

    origin = serializers.CharField(max_length=100, help_text="An IATA code (LHR) or a city (London: all its airports)")
    destination = serializers.CharField(max_length=100, help_text="An IATA code or a city")
    date = serializers.DateField(help_text="Departure day, local to the origin airport (YYYY-MM-DD)")
    window = serializers.ChoiceField(choices=list(TIME_WINDOWS), default="any", help_text="Departure time of day")
    passengers = serializers.IntegerField(min_value=1, max_value=settings.MAX_PASSENGERS_PER_BOOKING, default=1)
    sort = serializers.ChoiceField(choices=list(SORTS), default="departure")
    max_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, help_text="Per seat, in the site's currency"
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE, help_text="Flights per page"
    )
    fares = serializers.ChoiceField(
        choices=list(FLAGS),
        default="false",
        help_text="true: also the lowest fare in the window and price limit on each day from 3 days before to 3 after (the date strip)",
    )
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="`next_cursor` of the previous page; an empty, stale or malformed one gives the first page",
    )


def _choice(params, name: str, choices, default: str, errors: dict) -> str:
    value = params.get(name) or default
    if value not in choices:
        errors[name] = [f"“{value[:40]}” is not one of: {', '.join(choices)}."]
        return default
    return value


def _limit(params, errors: dict) -> int:
    raw = params.get("limit") or str(DEFAULT_PAGE_SIZE)
    size = int(raw) if raw.isdigit() else 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        errors["limit"] = [f"Give a whole number from 1 to {MAX_PAGE_SIZE}."]
    return size


def parse_search(params) -> FlightSearchQuery:
    """The query string of GET /flights (SearchParamsSerializer documents it) as a search, or a
    ValidationError naming every bad parameter. The site's own search form checks and resolves
    what the page's form has (places, date, passengers, price), so the API and the page agree;
    the API adds its stricter choices (window, sort, limit). Done without a DRF serializer:
    building one costs more than the search's two SQL statements (bench/api.py)."""
    errors: dict[str, list[str]] = {}
    window = _choice(params, "window", TIME_WINDOWS, "any", errors)
    sort = _choice(params, "sort", SORTS, "departure", errors)
    size = _limit(params, errors)
    fares = _choice(params, "fares", FLAGS, "false", errors)
    form = SearchForm(
        {
            "origin": params.get("origin", ""),
            "destination": params.get("destination", ""),
            "date": params.get("date", ""),
            "window": window,
            "passengers": params.get("passengers") or "1",
            "sort": SORTS[sort],
            "max_price": params.get("max_price", ""),
        }
    )
    try:
        run_form(form)
    except serializers.ValidationError as error:
        errors.update(error.detail)
    if errors:
        raise serializers.ValidationError(errors)
    cursor = params.get("cursor") or None
    if cursor and len(cursor) > MAX_CURSOR_LENGTH:  # no real cursor is this long: page one
        cursor = None
    return replace(form.search_query(cursor=cursor), page_size=size, with_fares=FLAGS[fares])


class DayFareSerializer(serializers.Serializer):
    date = serializers.DateField()
    lowest = MoneySerializer(
        allow_null=True, help_text="null: no flight with seats that day (under `max_price`, when given)"
    )


class SearchResultSerializer(serializers.Serializer):
    results = FlightSerializer(many=True)
    total = serializers.IntegerField(help_text="Flights matching, on every page")
    hidden_count = serializers.IntegerField(help_text="Flights that day the time window and price limit leave out")
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True, help_text="The next page's URL; null on the last page")
    fares = DayFareSerializer(
        many=True, help_text="With fares=true: the lowest fare on each day around the date (from today); else []"
    )


class AirportSuggestionSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What to search with: an IATA code or a city")
    label = serializers.CharField()
    detail = serializers.CharField()
    kind = serializers.ChoiceField(choices=["airport", "city"])


class AirportSuggestionsSerializer(serializers.Serializer):
    results = AirportSuggestionSerializer(many=True)


class AirportQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", help_text="2+ letters")
    origin = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the trip starts (a code or a city), when suggesting a destination: "
        "airports with direct flights from it come first",
    )


class SeatSerializer(serializers.Serializer):
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["window", "middle", "aisle"])
    aisle_after = serializers.BooleanField(help_text="An aisle runs between this seat and the next")
    free = serializers.BooleanField()


class SeatRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    seats = SeatSerializer(many=True)


class SeatMapSerializer(serializers.Serializer):
    flight = serializers.IntegerField()
    layout = serializers.CharField()
    seats_left = serializers.IntegerField()
    rows = SeatRowSerializer(many=True)
