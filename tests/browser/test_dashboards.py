"""Dashboards (issue 15): staff land on the dashboard, read it, follow a tile to the list behind
it; axe-core finds no serious or critical violation on the pages."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.helpers import staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def airline():
    """A small airline: three routes, some flights ahead, bookings made this month."""
    london = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris")
    new_york = AirportFactory(
        iata="JFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York"
    )
    soon = timezone.now() + timedelta(days=2)
    flights = [
        FlightFactory(
            number="SK330", origin=london, destination=paris, departs_at=soon, capacity=12, price=Decimal("89.00")
        ),
        FlightFactory(
            number="SK117",
            origin=london,
            destination=new_york,
            departs_at=soon + timedelta(days=1),
            capacity=12,
            price=Decimal("405.00"),
        ),
        FlightFactory(
            number="SK331",
            origin=paris,
            destination=london,
            departs_at=soon + timedelta(days=3),
            capacity=12,
            price=Decimal("79.00"),
        ),
    ]
    for flight, parties in zip(flights, ([2, 3, 1], [1, 1], [4]), strict=True):
        for size in parties:
            make_booking(flight=flight, passengers=size)
    return flights


def test_staff_land_on_the_dashboard_and_follow_a_tile_to_its_list(page, screenshot, assert_accessible, airline):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test", is_superuser=True)
    staff_log_in(page, staff)

    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    seats = page.locator(".tile").filter(has_text="Seats sold")
    expect(seats).to_contain_text("12")
    expect(page.get_by_role("figure").filter(has_text="Top routes by passengers")).to_be_visible()
    screenshot(page, "staff-dashboard")
    assert_accessible(page)

    # The numbers behind a chart, without the picture.
    routes = page.get_by_role("figure").filter(has_text="Top routes by passengers")
    routes.get_by_text("Show as a table").click()
    expect(routes.get_by_role("row").filter(has_text="LHR–CDG")).to_contain_text("6")

    # A period of our own.
    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("Figures are at most a minute old")).to_be_visible()

    # A flight to sell leads to its manifest, and on to its seats.
    page.get_by_role("link", name="SK117 LHR → JFK").click()
    expect(page.get_by_role("heading", name="SK117")).to_be_visible()
    page.get_by_role("link", name="Seat view").click()
    expect(page.get_by_text("Sold to").first).to_be_visible()
    screenshot(page, "staff-seat-view")
    assert_accessible(page)
    page.go_back()

    # A tile leads to the list behind it.
    page.go_back()
    page.locator(".tile").filter(has_text="Flights today").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()


def test_the_dashboard_on_a_phone(new_page, screenshot, assert_accessible, airline):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test", is_superuser=True)
    page = new_page({"width": 390, "height": 844})
    staff_log_in(page, staff)
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    screenshot(page, "staff-dashboard-phone")
    assert_accessible(page)


def test_staff_find_a_passenger_and_export_the_list(page, screenshot, assert_accessible, airline):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test", is_superuser=True)
    staff_log_in(page, staff)
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    screenshot(page, "staff-users")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Export this list (CSV)").click()
    expect(page.get_by_role("heading", name="Export of the users list")).to_be_visible()
    expect(page.get_by_role("link", name="Download the users list (CSV)")).to_be_visible()


def test_a_passenger_lands_on_search_and_opens_my_travel(page, screenshot, assert_accessible, airline):
    passenger = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@skyway.test")
    flight = airline[0]
    make_booking(user=passenger, flight=flight, passengers=1)
    Flight.objects.filter(pk=flight.pk).update(departs_at=timezone.now() - timedelta(days=20))  # flown since
    page.goto(reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(passenger.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")  # passengers land on the search
    expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)  # no staff links
    assert_accessible(page)
    page.get_by_role("link", name="My bookings").click()
    page.get_by_role("link", name="My travel in numbers").click()
    expect(page.get_by_role("heading", name="My travel")).to_be_visible()
    expect(page.locator(".tile").filter(has_text="Airports visited")).to_contain_text("2")
    screenshot(page, "my-travel")
    assert_accessible(page)
