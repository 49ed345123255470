"""The serializers that write their dict directly say exactly what DRF's declared fields say."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api.serializers.common import FlightSerializer
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "departs",
    [
        datetime(2027, 1, 15, 8, 30, tzinfo=ZoneInfo("UTC")),
        datetime(2027, 10, 31, 1, 30, tzinfo=ZoneInfo("UTC")),  # the repeated hour in London
        datetime(2027, 7, 1, 23, 59, 59, 123456, tzinfo=ZoneInfo("UTC")),
    ],
)
@pytest.mark.parametrize("status", [Flight.Status.SCHEDULED, Flight.Status.CANCELLED])
def test_the_flight_dict_is_what_the_declared_fields_give(departs, status):
    flight = FlightFactory(
        origin=AirportFactory(tz="Europe/London"),
        destination=AirportFactory(tz="America/New_York"),
        departs_at=departs,
        arrives_at=departs + timedelta(hours=7, minutes=5),
        status=status,
    )
    flight = Flight.objects.select_related("origin", "destination").get(pk=flight.pk)
    request = APIRequestFactory().get("/api/v1/flights")
    serializer = FlightSerializer(context={"request": request})

    fast = serializer.to_representation(flight)
    declared = serializers.Serializer.to_representation(serializer, flight)

    assert fast == dict(declared)
