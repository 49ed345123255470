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
MAX_CURSOR_LENGTH = 200


class SearchParamsSerializer(serializers.Serializer):
    """The query string of GET /flights. Places are resolved and dates checked by the site's
    own search form (flights.forms.SearchForm), so the API and the pages agree."""

    origin = serializers.CharField(max_length=100, help_text="An IATA code (LHR) or a city (London: all its airports)")
    destination = serializers.CharField(max_length=100, help_text="An IATA code or a city")
    date = serializers.DateField(help_text="Departure day, local to the origin airport (YYYY-MM-DD)")
    window = serializers.ChoiceField(choices=list(TIME_WINDOWS), default="any", help_text="Departure time of day")
    passengers = serializers.IntegerField(min_value=1, max_value=settings.MAX_PASSENGERS_PER_BOOKING, default=1)
    sort = serializers.ChoiceField(choices=list(SORTS), default="departure")
    max_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, help_text="Per seat, in the site's currency"
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=20, help_text="Flights per page")
    cursor = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="`next_cursor` of the previous page; an empty, stale or malformed one gives the first page",
    )

    def validate(self, data):
        form = SearchForm(
            {
                "origin": data["origin"],
                "destination": data["destination"],
                "date": data["date"].isoformat(),
                "window": data["window"],
                "passengers": data["passengers"],
                "sort": SORTS[data["sort"]],
                "max_price": "" if data.get("max_price") is None else str(data["max_price"]),
            }
        )
        run_form(form)
        cursor = data.get("cursor") or None
        if cursor and len(cursor) > MAX_CURSOR_LENGTH:  # no real cursor is this long: page one
            cursor = None
        data["query"] = replace(form.search_query(cursor=cursor), page_size=data["limit"])
        return data

    @property
    def query(self) -> FlightSearchQuery:
        return self.validated_data["query"]


class DayFareSerializer(serializers.Serializer):
    date = serializers.DateField()
    lowest = MoneySerializer(allow_null=True, help_text="null: no flight with seats that day")


class SearchResultSerializer(serializers.Serializer):
    results = FlightSerializer(many=True)
    total = serializers.IntegerField(help_text="Flights matching, on every page")
    hidden_count = serializers.IntegerField(help_text="Flights that day the time window and price limit leave out")
    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True, help_text="The next page's URL; null on the last page")
    fares = DayFareSerializer(many=True, help_text="The lowest fare on each day around the date")


class AirportSuggestionSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What to search with: an IATA code or a city")
    label = serializers.CharField()
    detail = serializers.CharField()
    kind = serializers.ChoiceField(choices=["airport", "city"])


class AirportSuggestionsSerializer(serializers.Serializer):
    results = AirportSuggestionSerializer(many=True)


class AirportQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", help_text="2+ letters")


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
