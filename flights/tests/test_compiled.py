"""Querysets compiled once and run with new values (booking_site.lib.compiled)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking_site.lib.compiled import compile_queryset
from flights.models import Flight
from flights.selectors import SearchQuery, lowest_prices_by_day
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
    assert lowest_prices_by_day(query=query, origin_zone=heathrow.zone) == {
        departs.date(): Decimal("60.00"),
        departs.date() + timedelta(days=1): Decimal("70.00"),
    }
