"""Public reads: airports (the autosuggest), flight search, a flight, its seat map."""

from urllib.parse import urlencode

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.selectors import seat_map
from flights.models import Flight
from flights.search import search_flights
from flights.search_cache import cached_airport_suggestions

from ..serializers.common import FlightSerializer, money
from ..serializers.flights import (
    AirportQuerySerializer,
    AirportSuggestionsSerializer,
    SearchParamsSerializer,
    SearchResultSerializer,
    SeatMapSerializer,
    parse_search,
)


def parse_query(serializer_class, request):
    """A query string checked by a serializer (400 `validation_error` otherwise)."""
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer


class AirportList(APIView):
    permission_classes = [AllowAny]
    query_serializer = AirportQuerySerializer

    @extend_schema(
        operation_id="airports_suggest",
        summary="Airports and cities matching what was typed",
        description="The autosuggest ranking of the search page: exact IATA code, then cities, then "
        "airport names, busiest first (with `origin`, its destinations first); a city with several "
        "served airports is offered as a whole.",
        parameters=[AirportQuerySerializer],
        responses=AirportSuggestionsSerializer,
    )
    def get(self, request):
        query = parse_query(AirportQuerySerializer, request).validated_data
        return Response({"results": cached_airport_suggestions(query["q"], origin=query["origin"])})


class FlightList(APIView):
    permission_classes = [AllowAny]
    query_serializer = SearchParamsSerializer

    @extend_schema(
        operation_id="flights_search",
        summary="Search flights",
        description="Scheduled flights from origin to destination departing on `date` (the origin "
        "airport's local day) with seats for every passenger; filtered by time window and price, "
        "sorted, a page at a time (follow `next`). The same search as the site's, from the same cache.",
        parameters=[SearchParamsSerializer],
        responses=SearchResultSerializer,
        examples=[
            OpenApiExample(
                "Search",
                value={"results": [], "total": 0, "hidden_count": 0, "next_cursor": None, "next": None, "fares": []},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        result = search_flights(parse_search(request.query_params))
        next_url = None
        if result.next_cursor:
            following = {**request.query_params.dict(), "cursor": result.next_cursor}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(following)}")
        return Response(
            {
                "results": FlightSerializer(result.flights, many=True, context={"request": request}).data,
                "total": result.total,
                "hidden_count": result.hidden_count,
                "next_cursor": result.next_cursor,
                "next": next_url,
                "fares": [{"date": fare.day.isoformat(), "lowest": money(fare.lowest)} for fare in result.fares],
            }
        )


def flight_or_404(flight_id: int) -> Flight:
    return get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)


class FlightDetail(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="flights_retrieve", summary="A flight", responses=FlightSerializer)
    def get(self, request, flight_id: int):
        return Response(FlightSerializer(flight_or_404(flight_id), context={"request": request}).data)


class FlightSeatMap(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="flights_seat_map",
        summary="The cabin, seat by seat",
        description="Rows of seats with window/middle/aisle and whether each is free now (held "
        "seats count as taken until the hold runs out). Choose free ones in POST /holds.",
        responses=SeatMapSerializer,
    )
    def get(self, request, flight_id: int):
        flight = flight_or_404(flight_id)
        rows = seat_map(flight=flight)
        free = sum(not cell["taken"] for _, cells in rows for cell in cells)
        return Response(
            {
                "flight": flight.pk,
                "layout": flight.layout,
                "seats_left": free if not flight.is_cancelled else 0,
                "rows": [
                    {
                        "row": row,
                        "seats": [
                            {
                                "label": cell["seat"].label,
                                "kind": cell["seat"].kind,
                                "aisle_after": cell["seat"].aisle_after,
                                "free": not cell["taken"] and not flight.is_cancelled,
                            }
                            for cell in cells
                        ],
                    }
                    for row, cells in rows
                ],
            }
        )
