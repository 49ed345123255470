"""Querysets compiled once and run with new values (booking_site.lib.compiled)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking_site.lib.compiled import compile_queryset
from flights.models import Flight
from flights.selectors import SearchQuery, lowest_in_window, lowest_prices_by_day_and_window
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


def test_a_compiled_queryset_runs_with_the_values_bound_at_run_time():
    cheap, dear = FlightFactory(price=Decimal("50.00")), FlightFactory(price=Decimal("500.00"))
    compiled = compile_queryset(
        Flight.objects.filter(price__lte=-1).order_by("price").values_list("pk", flat=True), {"max_price": -1}
    )
    assert compiled.rows({"max_price": Decimal("100")}) == [(cheap.pk,)]
    assert compiled.rows({"max_price": Decimal("1000")}) == [(cheap.pk,), (dear.pk,)]


def test_a_stand_in_missing_from_or_repeated_in_the_query_is_refused():
    with pytest.raises(ValueError, match="appear once"):
        compile_queryset(Flight.objects.filter(price__lte=-1), {"max_price": -1, "unused": -2})
    with pytest.raises(ValueError, match="appear once"):
        compile_queryset(Flight.objects.filter(price__lte=-1) | Flight.objects.filter(price__gte=-1), {"p": -1})
    with pytest.raises(ValueError, match="unique"):
        compile_queryset(Flight.objects.filter(price__lte=-1), {"a": -1, "b": -1})


def test_lowest_prices_cover_a_city_with_several_airports():
    heathrow, gatwick = AirportFactory(iata="LHR", city="London"), AirportFactory(iata="LGW", city="London")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    departs = timezone.now().astimezone(heathrow.zone).replace(hour=10, minute=0) + timedelta(days=5)
    FlightFactory(origin=heathrow, destination=paris, departs_at=departs, price=Decimal("80.00"))
    FlightFactory(origin=gatwick, destination=paris, departs_at=departs, price=Decimal("60.00"))
    FlightFactory(origin=gatwick, destination=paris, departs_at=departs + timedelta(days=1), price=Decimal("70.00"))
    query = SearchQuery(origins=(heathrow.pk, gatwick.pk), destinations=(paris.pk,), day=departs.date())
    assert lowest_prices_by_day_and_window(
        query=query, origin_zone=heathrow.zone, first=departs.date(), last=departs.date() + timedelta(days=1)
    ) == {
        departs.date(): {"morning": Decimal("60.00")},
        departs.date() + timedelta(days=1): {"morning": Decimal("70.00")},
    }


def test_lowest_prices_per_departure_window_in_local_time():
    """The strip's lowest fare per window: an evening flight in New York is in the evening
    there (past midnight in UTC), and "any" is the day's lowest."""
    york = AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    paris = AirportFactory(iata="CDG", city="Paris", tz="Europe/Paris")
    day = timezone.now().astimezone(york.zone).date() + timedelta(days=5)
    for hour, price in ((4, "50.00"), (9, "90.00"), (11, "80.00"), (21, "70.00")):
        departs = datetime.combine(day, time(hour), tzinfo=york.zone)
        FlightFactory(origin=york, destination=paris, departs_at=departs, price=Decimal(price))
    query = SearchQuery(origins=(york.pk,), destinations=(paris.pk,), day=day)
    windows = lowest_prices_by_day_and_window(query=query, origin_zone=york.zone, first=day, last=day)[day]
    assert windows == {"night": Decimal("50.00"), "morning": Decimal("80.00"), "evening": Decimal("70.00")}
    assert lowest_in_window(windows, "any") == Decimal("50.00")
    assert lowest_in_window(windows, "afternoon") is None
    assert lowest_in_window({}, "any") is None
