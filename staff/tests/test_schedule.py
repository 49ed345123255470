"""The staff schedule: list and filter flights, add, edit and remove one."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory

pytestmark = pytest.mark.django_db


def test_staff_adds_flight_with_local_times_stored_in_utc(staff_client):
    AirportFactory(iata="LHR", city="London", tz="Europe/London")
    AirportFactory(iata="JFK", city="New York", tz="America/New_York")
    response = staff_client.post(
        reverse("staff:flight_add"),
        {
            "number": "sk901",
            "origin": "lhr",
            "destination": "JFK",
            "departure_date": "2027-07-01",
            "departure_time": "10:30",
            "arrival_date": "2027-07-01",
            "arrival_time": "13:25",
            "capacity": "60",
            "layout": "3-3",
            "price": "499.00",
        },
    )
    assert response.status_code == 302
    flight = Flight.objects.get(number="SK901")
    assert flight.departs_at == datetime(2027, 7, 1, 9, 30, tzinfo=ZoneInfo("UTC"))  # BST is UTC+1
    assert flight.arrives_at == datetime(2027, 7, 1, 17, 25, tzinfo=ZoneInfo("UTC"))  # EDT is UTC-4
    assert flight.capacity == 60 and flight.price == Decimal("499.00") and flight.seats_booked == 0


def test_add_form_defaults_capacity_to_sixty(staff_client):
    response = staff_client.get(reverse("staff:flight_add"))
    assert 'value="60"' in response.content.decode()


def test_staff_edits_flight_price_and_capacity(staff_client):
    flight = FlightFactory(price=Decimal("100.00"))
    make_booking(flight=flight, passengers=2)
    form = staff_client.get(reverse("staff:flight_edit", args=[flight.pk])).context["form"]
    data = {**{k: v for k, v in form.initial.items()}, "price": "150.00", "capacity": "80"}
    data["origin"], data["destination"] = flight.origin.iata, flight.destination.iata
    response = staff_client.post(reverse("staff:flight_edit", args=[flight.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    flight.refresh_from_db()
    assert flight.price == Decimal("150.00") and flight.capacity == 80 and flight.seats_booked == 2


def test_staff_schedule_filters_by_number_and_local_date(staff_client):
    tokyo = AirportFactory(iata="HND", city="Tokyo", tz="Asia/Tokyo")
    day = (timezone.now() + timedelta(days=5)).astimezone(tokyo.zone).date()
    wanted = FlightFactory(
        number="SK77",
        origin=tokyo,
        departs_at=datetime.combine(day, datetime.min.time(), tzinfo=tokyo.zone) + timedelta(minutes=30),
    )
    FlightFactory(number="SK77", origin=tokyo, departs_at=wanted.departs_at + timedelta(days=1))
    FlightFactory(number="SK78", origin=tokyo, departs_at=wanted.departs_at)
    response = staff_client.get(reverse("staff:schedule"), {"number": "sk77", "date": day.isoformat()})
    assert list(response.context["page"].object_list) == [wanted]


def test_staff_remove_booked_flight_cancels_it_and_keeps_history(staff_client):
    flight = FlightFactory()
    booking = make_booking(flight=flight, passengers=2)
    confirm = staff_client.get(reverse("staff:flight_remove", args=[flight.pk]))
    assert "will be <strong>cancelled</strong>" in confirm.content.decode()
    response = staff_client.post(reverse("staff:flight_remove", args=[flight.pk]))
    assert response.status_code == 302
    flight.refresh_from_db()
    booking.refresh_from_db()
    assert flight.status == Flight.Status.CANCELLED and flight.seats_booked == 0
    assert booking.status == booking.Status.CANCELLED


def test_staff_remove_unbooked_flight_deletes_it(staff_client):
    flight = FlightFactory()
    staff_client.post(reverse("staff:flight_remove", args=[flight.pk]))
    assert not Flight.objects.filter(pk=flight.pk).exists()


# The schedule reads as a timetable: local times in order, places as passengers type them, and
# what staff just wrote shown on its day.


def _airport(iata, city, tz):
    return AirportFactory(iata=iata, city=city, name=f"{city} {iata} Airport", tz=tz)


def test_a_days_schedule_is_in_local_departure_time_order_not_utc_order(staff_client):
    day = (timezone.now() + timedelta(days=30)).date()
    tokyo = _airport("HND", "Tokyo", "Asia/Tokyo")
    dubai = _airport("DXB", "Dubai", "Asia/Dubai")
    london = _airport("LHR", "London", "Europe/London")
    new_york = _airport("JFK", "New York", "America/New_York")

    def leaving(airport, hour):
        local = datetime.combine(day, datetime.min.time(), tzinfo=airport.zone) + timedelta(hours=hour)
        return FlightFactory(origin=airport, departs_at=local)

    # UTC order: Tokyo 06:00 (21:00 the day before), Dubai 09:00, London 08:00, New York 07:00.
    flights = [leaving(new_york, 7), leaving(london, 8), leaving(dubai, 9), leaving(tokyo, 6)]
    response = staff_client.get(reverse("staff:schedule"), {"date": day.isoformat()})
    listed = list(response.context["page"].object_list)
    assert [flight.origin.iata for flight in listed] == ["HND", "JFK", "LHR", "DXB"]
    assert set(listed) == set(flights)


@pytest.fixture
def london_and_paris(db):
    day = (timezone.now() + timedelta(days=3)).date()
    london = [_airport("LHR", "London", "Europe/London"), _airport("LGW", "London", "Europe/London")]
    paris = _airport("CDG", "Paris", "Europe/Paris")
    at = datetime.combine(day, datetime.min.time(), tzinfo=london[0].zone) + timedelta(hours=9)
    return {
        "LHR": FlightFactory(number="SK1", origin=london[0], destination=paris, departs_at=at),
        "LGW": FlightFactory(number="SK2", origin=london[1], destination=paris, departs_at=at + timedelta(hours=1)),
        "CDG": FlightFactory(number="SK3", origin=paris, destination=london[0], departs_at=at + timedelta(hours=2)),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"origin": "London"}, ["SK1", "SK2"]),  # a city: all its airports, as the passengers' search
        ({"origin": " london "}, ["SK1", "SK2"]),
        ({"origin": "lgw"}, ["SK2"]),
        ({"destination": "Paris"}, ["SK1", "SK2"]),
        ({"origin": "Paris", "destination": "London"}, ["SK3"]),
    ],
)
def test_schedule_from_and_to_take_a_city_or_a_code(staff_client, london_and_paris, params, expected):
    response = staff_client.get(reverse("staff:schedule"), params)
    assert response.status_code == 200
    assert [flight.number for flight in response.context["page"].object_list] == expected


def test_schedule_from_an_unknown_place_says_so_and_lists_nothing(staff_client, london_and_paris):
    response = staff_client.get(reverse("staff:schedule"), {"origin": "Atlantis"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "No airport or city is called “Atlantis”. Try a code like LHR or a city like London." in page
    assert list(response.context["page"].object_list) == []
    assert "Check the filters" in page


def _new_flight(**overrides) -> dict:
    return {
        "number": "SK901",
        "origin": "HND",
        "destination": "LHR",
        "departure_date": "2027-07-02",
        "departure_time": "00:30",  # 1 July in UTC: the list is of the local day
        "arrival_date": "2027-07-02",
        "arrival_time": "05:30",
        "capacity": "60",
        "layout": "3-3",
        "price": "499.00",
        **overrides,
    }


def test_after_adding_a_flight_staff_land_on_its_local_day_with_it_marked(staff_client):
    _airport("HND", "Tokyo", "Asia/Tokyo")
    _airport("LHR", "London", "Europe/London")
    response = staff_client.post(reverse("staff:flight_add"), _new_flight())
    flight = Flight.objects.get(number="SK901")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('staff:schedule')}?date=2027-07-02&added={flight.pk}#flight-{flight.pk}"

    page = staff_client.get(response["Location"].split("#")[0])
    assert [f.pk for f in page.context["page"].object_list] == [flight.pk]
    text = page.content.decode()
    assert "Flight SK901 added to the schedule. It departs HND on Fri 2 Jul 2027 at 00:30 JST." in text
    assert f'id="flight-{flight.pk}" class="table-warning schedule-written"' in text
    assert '<span class="badge text-bg-dark">Just added</span>' in text


def test_a_flight_added_to_a_busy_day_is_shown_on_the_page_it_is_on(staff_client):
    tokyo, london = _airport("HND", "Tokyo", "Asia/Tokyo"), _airport("LHR", "London", "Europe/London")
    early = datetime(2027, 7, 2, 0, 0, tzinfo=tokyo.zone)
    for minute in range(55):  # 55 flights leave before the new one, at 00:00-00:54
        FlightFactory(origin=tokyo, destination=london, departs_at=early + timedelta(minutes=minute))
    response = staff_client.post(reverse("staff:flight_add"), _new_flight(departure_time="01:00"), follow=True)
    flight = Flight.objects.get(number="SK901")
    assert response.context["page"].number == 2
    assert flight in response.context["page"].object_list


def test_after_editing_a_flight_staff_land_on_its_new_day_with_it_marked(staff_client):
    flight = FlightFactory(number="SK77")
    form = staff_client.get(reverse("staff:flight_edit", args=[flight.pk])).context["form"]
    data = {**form.initial, "origin": flight.origin.iata, "destination": flight.destination.iata}
    data.update(departure_date="2027-08-01", arrival_date="2027-08-01", departure_time="10:00", arrival_time="12:00")
    response = staff_client.post(reverse("staff:flight_edit", args=[flight.pk]), data, follow=True)
    assert response.redirect_chain[0][0].startswith(f"{reverse('staff:schedule')}?date=2027-08-01&saved={flight.pk}")
    assert '<span class="badge text-bg-dark">Just saved</span>' in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999", ""])
def test_a_marker_that_is_not_a_flight_is_ignored(staff_client, value):
    FlightFactory()
    response = staff_client.get(reverse("staff:schedule"), {"added": value})
    assert response.status_code == 200
    assert "schedule-written" not in response.content.decode()
