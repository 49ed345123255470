"""The "your flight changed" e-mail: staff move a flight's times, every booker hears."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import StaffFactory, UserFactory, verified_login
from bookings import services
from bookings.tests.factories import make_booking, make_hold
from flights.exceptions import CapacityBelowBooked
from flights.models import Flight
from flights.services import flight_update
from flights.tests.factories import AirportFactory, FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _fields(flight: Flight, **changes) -> dict:
    fields = {
        "number": flight.number,
        "origin": flight.origin,
        "destination": flight.destination,
        "departs_at": flight.departs_at,
        "arrives_at": flight.arrives_at,
        "price": flight.price,
        "capacity": flight.capacity,
        "layout": flight.layout,
    }
    return {**fields, **changes}


def _notices() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="flight_changed").order_by("pk"))


@pytest.fixture
def transatlantic():
    london = AirportFactory(iata="QLH", name="Heathrow", city="London", tz="Europe/London")
    new_york = AirportFactory(iata="QJF", name="Kennedy", city="New York", country="US", tz="America/New_York")
    departs = datetime(2027, 7, 1, 9, 30, tzinfo=UTC)  # 10:30 BST
    return FlightFactory(
        origin=london, destination=new_york, departs_at=departs, arrives_at=departs + timedelta(hours=8)
    )


@pytest.fixture(autouse=True)
def _before_the_flights(time_machine):
    time_machine.move_to(datetime(2027, 6, 1, 8, 0, tzinfo=UTC), tick=False)


def test_a_new_departure_time_emails_every_booker_old_and_new_local_times(
    transatlantic, django_capture_on_commit_callbacks
):
    ada = make_booking(flight=transatlantic, names=["Ada Lovelace", "Alan Turing"])
    grace = make_booking(flight=transatlantic, names=["Grace Hopper"])
    new_departs = transatlantic.departs_at + timedelta(hours=1, minutes=30)
    new_arrives = transatlantic.arrives_at + timedelta(hours=1, minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        flight_update(
            flight_id=transatlantic.pk, **_fields(transatlantic, departs_at=new_departs, arrives_at=new_arrives)
        )
    notices = _notices()
    assert sorted(n.to for n in notices) == sorted([ada.user.email, grace.user.email])
    context = notices[0].context
    assert context["old_departs"] == "Thu 01 Jul 2027, 10:30 BST" and context["departs"] == "Thu 01 Jul 2027, 12:00 BST"
    assert context["old_arrives"] == "Thu 01 Jul 2027, 13:30 EDT" and context["arrives"] == "Thu 01 Jul 2027, 15:00 EDT"
    by_address = {email.to[0]: email for email in mail.outbox}
    email = by_address[ada.user.email]
    assert ada.reference in email.subject and "12:00 BST" in email.subject
    for part in (email.body, email.alternatives[0][0]):
        assert "10:30 BST" in part and "12:00 BST" in part and "13:30 EDT" in part and "15:00 EDT" in part
        assert "Ada Lovelace" in part and "Alan Turing" in part
        assert f"http://testserver/bookings/{ada.reference}/" in part


def test_only_the_arrival_changing_says_the_departure_is_unchanged(transatlantic, django_capture_on_commit_callbacks):
    make_booking(flight=transatlantic)
    with django_capture_on_commit_callbacks(execute=True):
        flight_update(
            flight_id=transatlantic.pk,
            **_fields(transatlantic, arrives_at=transatlantic.arrives_at + timedelta(hours=1)),
        )
    [email] = mail.outbox
    assert "Departure: Thu 01 Jul 2027, 10:30 BST (unchanged)" in email.body
    assert "Arrival:   was Thu 01 Jul 2027, 13:30 EDT, now Thu 01 Jul 2027, 14:30 EDT" in email.body


def test_old_and_new_times_keep_their_own_zone_abbreviation_across_a_clock_change(time_machine):
    time_machine.move_to(datetime(2026, 10, 1, tzinfo=UTC), tick=False)
    london = AirportFactory(iata="QLG", name="Gatwick", city="London", tz="Europe/London")
    departs = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # Sat 23:30 BST
    flight = FlightFactory(origin=london, departs_at=departs)
    make_booking(flight=flight)
    later = timedelta(hours=3)  # 01:30 GMT
    flight_update(
        flight_id=flight.pk, **_fields(flight, departs_at=departs + later, arrives_at=flight.arrives_at + later)
    )
    [notice] = _notices()
    assert notice.context["old_departs"] == "Sat 24 Oct 2026, 23:30 BST"
    assert notice.context["departs"] == "Sun 25 Oct 2026, 01:30 GMT"


def test_passengers_no_longer_flying_hear_nothing_and_are_not_listed(transatlantic):
    flying = make_booking(flight=transatlantic, names=["Ada Lovelace", "Alan Turing"])
    alan = flying.tickets.get(passenger_name="Alan Turing")
    services.booking_cancel(user=flying.user, booking_id=flying.pk, ticket_ids=[alan.pk])
    cancelled = make_booking(flight=transatlantic)
    services.booking_cancel(user=cancelled.user, booking_id=cancelled.pk)
    make_hold(flight=transatlantic)  # still in checkout: sees the new time when paying
    flight_update(
        flight_id=transatlantic.pk, **_fields(transatlantic, departs_at=transatlantic.departs_at + timedelta(hours=1))
    )
    [notice] = _notices()
    assert notice.to == flying.user.email
    assert [p["name"] for p in notice.context["passengers"]] == ["Ada Lovelace"]


@pytest.mark.parametrize(
    "change",
    [
        {"price": Decimal("999.00")},
        {"capacity": 90},
        {"number": "QQ1"},
    ],
)
def test_an_edit_that_keeps_the_times_sends_nothing(transatlantic, change):
    make_booking(flight=transatlantic)
    flight_update(flight_id=transatlantic.pk, **_fields(transatlantic, **change))
    assert _notices() == []


def test_a_refused_edit_changes_nothing_and_sends_nothing(transatlantic):
    make_booking(flight=transatlantic, passengers=3)
    with pytest.raises(CapacityBelowBooked):
        flight_update(
            flight_id=transatlantic.pk,
            **_fields(transatlantic, departs_at=transatlantic.departs_at + timedelta(hours=2), capacity=2),
        )
    assert _notices() == []
    transatlantic.refresh_from_db()
    assert transatlantic.departs_at == datetime(2027, 7, 1, 9, 30, tzinfo=UTC)


def test_correcting_the_times_of_a_flight_that_has_flown_sends_nothing(transatlantic, time_machine):
    make_booking(flight=transatlantic)
    time_machine.move_to(transatlantic.arrives_at + timedelta(days=1))
    flight_update(
        flight_id=transatlantic.pk,
        **_fields(transatlantic, departs_at=transatlantic.departs_at + timedelta(minutes=20)),
    )
    assert _notices() == []


def test_staff_edit_page_time_change_emails_the_passengers(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    verified_login(client, StaffFactory())
    url = reverse("staff:flight_edit", args=[transatlantic.pk])
    form = client.get(url).context["form"]
    data = {**form.initial, "origin": "QLH", "destination": "QJF", "departure_time": "11:15"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    [notice] = _notices()
    assert notice.to == booking.user.email
    assert notice.context["departs"] == "Thu 01 Jul 2027, 11:15 BST"
    assert notice.context["old_departs"] == "Thu 01 Jul 2027, 10:30 BST"


def test_old_times_are_shown_where_the_flight_used_to_leave_from(transatlantic, django_capture_on_commit_callbacks):
    make_booking(flight=transatlantic)
    paris = AirportFactory(iata="QPA", name="Orly", city="Paris", country="FR", tz="Europe/Paris")
    new_departs = transatlantic.departs_at + timedelta(hours=1)
    flight_update(
        flight_id=transatlantic.pk,
        **_fields(transatlantic, origin=paris, departs_at=new_departs, arrives_at=transatlantic.arrives_at),
    )
    [notice] = _notices()
    assert notice.context["old_departs"] == "Thu 01 Jul 2027, 10:30 BST"  # London, where it was to leave
    assert notice.context["departs"] == "Thu 01 Jul 2027, 12:30 CEST"  # Paris, where it leaves now


def test_a_price_edit_of_a_flight_in_the_hour_the_clocks_go_back_emails_nobody(client, transatlantic):
    # 01:30 on 31 Oct 2027 happens twice in London. The form's local time must compare equal
    # to the stored instant, or every booker hears their unchanged flight "changed".
    departs = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 01:30 BST, the first 01:30
    Flight.objects.filter(pk=transatlantic.pk).update(departs_at=departs, arrives_at=departs + timedelta(hours=8))
    make_booking(flight=transatlantic)
    verified_login(client, StaffFactory())
    url = reverse("staff:flight_edit", args=[transatlantic.pk])
    form = client.get(url).context["form"]
    assert form.initial["departure_time"].strftime("%H:%M") == "01:30"
    response = client.post(url, {**form.initial, "origin": "QLH", "destination": "QJF", "price": "999.00"})
    assert response.status_code == 302, response.context["form"].errors
    transatlantic.refresh_from_db()
    assert transatlantic.price == Decimal("999.00") and transatlantic.departs_at == departs
    assert _notices() == []


def test_a_local_time_the_clocks_skip_is_refused_with_a_clear_message(client, transatlantic):
    verified_login(client, StaffFactory())
    url = reverse("staff:flight_edit", args=[transatlantic.pk])
    form = client.get(url).context["form"]
    data = {**form.initial, "origin": "QLH", "destination": "QJF", "departure_date": "2027-03-28"}
    response = client.post(url, {**data, "departure_time": "01:30", "arrival_date": "2027-03-28"})
    assert response.status_code == 200
    assert response.context["form"].errors["departure_time"] == [
        "01:30 on 28 Mar 2027 does not exist in QLH (the clocks go forward then)."
    ]
    assert Flight.objects.get(pk=transatlantic.pk).departs_at == transatlantic.departs_at


def test_admin_time_change_emails_the_passengers(client, transatlantic):
    booking = make_booking(flight=transatlantic)
    verified_login(client, UserFactory(is_staff=True, is_superuser=True))
    departs = transatlantic.departs_at - timedelta(hours=1)
    data = {
        "number": transatlantic.number,
        "origin": transatlantic.origin_id,
        "destination": transatlantic.destination_id,
        "departs_at_0": departs.strftime("%Y-%m-%d"),
        "departs_at_1": departs.strftime("%H:%M:%S"),
        "arrives_at_0": transatlantic.arrives_at.strftime("%Y-%m-%d"),
        "arrives_at_1": transatlantic.arrives_at.strftime("%H:%M:%S"),
        "capacity": transatlantic.capacity,
        "layout": transatlantic.layout,
        "price": transatlantic.price,
    }
    response = client.post(reverse("admin:flights_flight_change", args=[transatlantic.pk]), data)
    assert response.status_code == 302
    [notice] = _notices()
    assert notice.to == booking.user.email
    assert notice.context["departs"] == "Thu 01 Jul 2027, 09:30 BST"


def test_the_notices_are_written_in_the_edit_transaction_and_roll_back_with_it(transatlantic):
    make_booking(flight=transatlantic)
    with pytest.raises(RuntimeError), transaction.atomic():
        flight_update(
            flight_id=transatlantic.pk,
            **_fields(transatlantic, departs_at=transatlantic.departs_at + timedelta(hours=1)),
        )
        assert len(_notices()) == 1
        raise RuntimeError("the staff request failed after the edit")
    assert _notices() == []


def test_notices_cost_one_insert_each_on_top_of_a_fixed_few_reads(transatlantic):
    make_booking(flight=transatlantic)
    other = FlightFactory(origin=transatlantic.origin, destination=transatlantic.destination)
    for passengers in (1, 2, 3, 2):
        make_booking(flight=other, passengers=passengers)
    counts = []
    for flight in (transatlantic, other):
        with CaptureQueriesContext(connection) as queries:
            flight_update(flight_id=flight.pk, **_fields(flight, departs_at=flight.departs_at + timedelta(hours=1)))
        counts.append(len(queries.captured_queries))
    assert len(_notices()) == 5
    assert counts[1] - counts[0] == 3  # three more bookings: three more outbox rows, no more reads
