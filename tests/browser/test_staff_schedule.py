"""The staff schedule in a browser (issue 16): a day's flights in local departure time order,
zones named as people read them ("Dubai time", not "+04"), From taking a city as the
passengers' search does (picked from the suggestions with the keyboard), a flight just added
shown on its day, and the page inside a phone screen. axe-core checks every page shown."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import StaffFactory
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.helpers import LONDON, london_day, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DUBAI = ZoneInfo("Asia/Dubai")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def busy_day():
    """One day's departures from London, Dubai and New York, in a different order in UTC
    (Dubai 09:00 is 05:00 UTC) than on the airports' clocks."""
    day = london_day(5)
    airports = {
        "LHR": AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London"),
        "LGW": AirportFactory(iata="LGW", city="London", name="London Gatwick Airport", tz="Europe/London"),
        "DXB": AirportFactory(
            iata="DXB", city="Dubai", name="Dubai International Airport", country="AE", tz="Asia/Dubai"
        ),
        "JFK": AirportFactory(
            iata="JFK",
            city="New York",
            name="John F Kennedy International Airport",
            country="US",
            tz="America/New_York",
        ),
    }

    def flight(number, origin, destination, at, zone, hours, capacity=180):
        departs = datetime.combine(day, at, tzinfo=zone)
        return FlightFactory(
            number=number,
            origin=airports[origin],
            destination=airports[destination],
            departs_at=departs,
            arrives_at=departs + timedelta(hours=hours),
            capacity=capacity,
            price=Decimal("249.00"),
        )

    flights = [
        flight("SK101", "JFK", "LHR", time(7, 0), NEW_YORK, 7),
        flight("SK201", "LHR", "JFK", time(8, 0), LONDON, 8),
        flight("SK301", "DXB", "LHR", time(9, 0), DUBAI, 7, capacity=300),
        flight("SK202", "LGW", "DXB", time(10, 30), LONDON, 7),
    ]
    return day, flights


def _numbers(page) -> list[str]:
    return [cell.strip().split()[0] for cell in page.locator("tbody td.schedule-number").all_inner_texts()]


def test_staff_filter_a_day_by_city_and_add_a_flight_that_lands_on_its_day(
    page, screenshot, assert_accessible, busy_day
):
    day, _ = busy_day
    staff_log_in(page, StaffFactory(first_name="Grace", last_name="Hopper"))
    page.get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()

    # The day, in local departure time order; each time with its zone as people say it.
    filters = page.get_by_role("form", name="Filter flights")
    filters.get_by_label("Date (local departure)").fill(day.isoformat())
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(4)
    assert _numbers(page) == ["SK101", "SK201", "SK301", "SK202"]
    dubai_row = page.get_by_role("row").filter(has_text="SK301")
    expect(dubai_row).to_contain_text("09:00 Dubai time")
    expect(dubai_row).not_to_contain_text("+04")
    assert_accessible(page)

    # From takes a city: typed, picked from the suggestions with the keyboard, sent with Enter.
    origin = filters.get_by_label("From", exact=True)
    origin.fill("Lond")
    expect(page.get_by_role("listbox", name="From suggestions").get_by_role("option").first).to_be_visible()
    origin.press("ArrowDown")
    origin.press("Enter")
    expect(origin).to_have_value(re.compile(r"^(London|LHR|LGW)$"))
    origin.fill("London")  # the city itself, whichever option came first
    origin.press("Enter")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert _numbers(page) == ["SK201", "SK202"]

    # A place nobody knows is said so, beside the field.
    filters = page.get_by_role("form", name="Filter flights")
    filters.get_by_label("From", exact=True).fill("Atlantis")
    filters.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No airport or city is called “Atlantis”.")).to_be_visible()
    expect(page.get_by_role("heading", name="Check the filters")).to_be_visible()
    assert_accessible(page)

    # Add a flight: back on the schedule of its day, the new flight marked and in its place.
    page.get_by_role("link", name="Add a flight").click()
    page.get_by_label("Flight number").fill("SK302")
    page.get_by_label(re.compile(r"^\s*From\s*\*?\s*$")).fill("DXB")
    page.get_by_label(re.compile(r"^\s*To\s*\*?\s*$")).fill("JFK")
    page.get_by_label("Departure date").fill(day.isoformat())
    page.get_by_label("Departure time").fill("08:30")
    page.get_by_label("Arrival date").fill(day.isoformat())
    page.get_by_label("Arrival time").fill("14:45")
    page.get_by_label("Seats").fill("240")
    page.get_by_label("Price per seat").fill("649.00")
    page.get_by_role("button", name="Add flight").click()

    expect(
        page.get_by_text(f"Flight SK302 added to the schedule. It departs DXB on {day:%a} {day.day}")
    ).to_be_visible()
    added = page.get_by_role("row").filter(has_text="Just added")
    expect(added).to_contain_text("SK302")
    expect(added).to_contain_text("08:30 Dubai time")
    expect(added).to_contain_text("0 / 240")
    expect(page.get_by_label("Date (local departure)")).to_have_value(day.isoformat())
    assert _numbers(page) == ["SK101", "SK201", "SK302", "SK301", "SK202"]
    assert page.url.endswith(f"#flight-{Flight.objects.get(number='SK302').pk}")
    screenshot(page, "staff-schedule-added")
    assert_accessible(page)


def test_the_schedule_fits_a_phone_screen(new_page, screenshot, assert_accessible, busy_day):
    day, flights = busy_day
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    staff_log_in(phone, StaffFactory(first_name="Grace", last_name="Hopper"))
    phone.goto(f"/staff/flights/?date={day.isoformat()}&added={flights[2].pk}")
    expect(phone.locator("tbody tr")).to_have_count(4)

    # No sideways scrolling: each flight is a card, number, route and status first; still a
    # table of rows, cells and column headers to a screen reader.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(phone.get_by_role("columnheader", name="Departs (local)")).to_have_count(1)
    expect(phone.get_by_role("row").filter(has_text="SK301").get_by_role("cell")).to_have_count(8)
    card = phone.get_by_role("row").filter(has_text="SK301")
    expect(card).to_contain_text("Just added")
    expect(card.locator(".schedule-time").first).to_contain_text("09:00 Dubai time")
    box, viewport_width = card.bounding_box(), PHONE["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width
    number, route, departs = (
        card.locator(f".schedule-{part}").first.bounding_box() for part in ("number", "route", "time")
    )
    assert number["y"] == pytest.approx(route["y"], abs=8) and departs["y"] > number["y"]
    for link in card.get_by_role("link").all():  # the actions stay on screen, big enough to tap
        link_box = link.bounding_box()
        assert link_box["x"] + link_box["width"] <= viewport_width and link_box["height"] >= 24
    screenshot(phone, "staff-schedule-phone")
    assert_accessible(phone)
