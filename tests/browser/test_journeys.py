"""The journeys people take through the site, in a real browser, by visible labels."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, StaffFactory, authenticator_code_for_key
from bookings.models import Booking
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.helpers import LONDON, london_day, search_flights

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NEW_YORK = ZoneInfo("America/New_York")
PHONE = {"width": 390, "height": 844}


def _departing(day: date, at: time, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


@pytest.fixture
def airports():
    return {
        "LHR": AirportFactory(
            iata="LHR",
            icao="EGLL",
            city="London",
            name="London Heathrow Airport",
            tz="Europe/London",
            country="GB",
            latitude=51.47,
            longitude=-0.4543,
        ),
        "LGW": AirportFactory(
            iata="LGW",
            icao="EGKK",
            city="London",
            name="London Gatwick Airport",
            tz="Europe/London",
            country="GB",
            latitude=51.1481,
            longitude=-0.1903,
        ),
        "JFK": AirportFactory(
            iata="JFK",
            icao="KJFK",
            city="New York",
            name="John F Kennedy International Airport",
            tz="America/New_York",
            country="US",
            latitude=40.6398,
            longitude=-73.7789,
        ),
        "CDG": AirportFactory(
            iata="CDG",
            icao="LFPG",
            city="Paris",
            name="Paris Charles de Gaulle Airport",
            tz="Europe/Paris",
            country="FR",
            latitude=49.0128,
            longitude=2.55,
        ),
    }


@pytest.fixture
def london_new_york_day(airports):
    """Three London–New York departures on one day, four days ahead; SK117 is the one to book."""
    day = london_day(4)

    def flight(number, origin, at, minutes, price, capacity=180):
        departs = _departing(day, at)
        return FlightFactory(
            number=number,
            origin=airports[origin],
            destination=airports["JFK"],
            departs_at=departs,
            arrives_at=departs + timedelta(minutes=minutes),
            price=Decimal(price),
            capacity=capacity,
        )

    flights = {
        "SK101": flight("SK101", "LHR", time(8, 30), 475, "412.00"),
        "SK117": flight("SK117", "LHR", time(13, 5), 490, "389.50"),
        "SK125": flight("SK125", "LGW", time(18, 40), 500, "299.00", capacity=4),
    }
    return day, flights


def test_passenger_signs_up_picks_two_seats_pays_and_cancels_one_passenger(page, screenshot, london_new_york_day):
    day, flights = london_new_york_day
    chosen = flights["SK117"]

    page.goto("/")
    expect(page.get_by_role("heading", name="Where to next?")).to_be_visible()
    screenshot(page, "home")

    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    screenshot(page, "signup")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill("analytical-engine-1843")
    page.get_by_label("Confirm password").fill("analytical-engine-1843")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome aboard, Ada! Your account is ready.")).to_be_visible()

    search_flights(page, "London", "New York", day, passengers=2)
    expect(page.get_by_role("heading", name=re.compile(r"^3 flights from London to New York"))).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(3)
    screenshot(page, "search-results")

    page.get_by_role("link", name="Select flight SK117").click()
    expect(page.get_by_role("heading", name="London to New York")).to_be_visible()
    expect(page.locator("#total")).to_have_text("€779.00")
    # Two seats from the map: each click goes to the next passenger without one.
    page.get_by_role("gridcell", name="Seat 4C, aisle, free").click()
    page.get_by_role("gridcell", name="Seat 4D, aisle, free").click()
    expect(page.get_by_label("Seat for passenger 1")).to_have_value("4C")
    expect(page.get_by_label("Seat for passenger 2")).to_have_value("4D")
    expect(page.get_by_role("gridcell", name="Seat 4C, aisle, selected for passenger 1")).to_have_attribute(
        "aria-selected", "true"
    )
    screenshot(page, "flight")
    page.get_by_role("button", name="Hold 2 seats and continue").click()

    # Step 2: the seats are held with a live countdown; name the travellers.
    expect(page.get_by_role("heading", name="Who is flying?")).to_be_visible()
    expect(page.locator(".hold-left")).to_have_text(re.compile(r"^(10:00|9:[0-5]\d) minutes$"))
    reference = page.url.rstrip("/").split("/")[-2]
    chosen.refresh_from_db()
    assert chosen.seats_booked == 2  # held seats count as taken for everyone else
    for group, (given, last) in (
        ("Passenger 1 · seat 4C", ("Ada", "Lovelace")),
        ("Passenger 2 · seat 4D", ("Charles", "Babbage")),
    ):
        passenger = page.get_by_role("group", name=group)
        passenger.get_by_label("Given names").fill(given)
        passenger.get_by_label("Last name").fill(last)
    screenshot(page, "checkout-passengers")
    page.get_by_role("button", name="Continue to payment").click()

    # Step 3: a declined card says why and keeps the hold; the test card that succeeds pays.
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()

    def pay_with(number: str) -> None:
        page.get_by_label("Name on card").fill("Ada Lovelace")
        page.get_by_label("Card number").fill(number)
        page.get_by_label("Expiry date (MM/YY)").fill("12/39")
        page.get_by_label("Security code (CVC)").fill("123")
        page.get_by_role("button", name="Pay €779.00 and book").click()

    pay_with("4000 0000 0000 0002")
    expect(page.locator("#payment-error")).to_contain_text("Your card was declined by your bank.")
    expect(page.locator("#payment-error")).to_contain_text("Your seats are still held.")
    expect(page.get_by_label("Card number")).to_have_value("")  # never written back into the page
    screenshot(page, "checkout-declined")
    assert Booking.objects.get(reference=reference).status == Booking.Status.HELD
    pay_with("4242 4242 4242 4242")

    # Step 4: confirmation, e-tickets and the calendar file.
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.locator("#reference")).to_have_text(reference)
    screenshot(page, "checkout-done")
    booking = Booking.objects.get(reference=reference)
    assert (booking.user.email, booking.flight_id, booking.seat_count, booking.status) == (
        "ada@example.test",
        chosen.pk,
        2,
        Booking.Status.CONFIRMED,
    )
    assert booking.payment.card_last4 == "4242"
    with page.expect_download() as download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    assert download.value.suggested_filename == f"{reference}.ics"
    assert "BEGIN:VEVENT" in Path(download.value.path()).read_text()
    page.get_by_role("link", name="E-ticket for Charles Babbage").click()
    expect(page.get_by_text("Charles Babbage").first).to_be_visible()
    expect(page.locator("svg").first).to_be_visible()  # the QR code
    screenshot(page, "eticket")

    page.get_by_role("navigation").get_by_role("link", name="My bookings", exact=True).first.click()
    expect(page.get_by_role("heading", name="My bookings")).to_be_visible()
    expect(page.get_by_text(reference, exact=True)).to_be_visible()
    screenshot(page, "my-bookings")
    page.get_by_role("link", name=f"View booking {reference}").click()
    expect(page.locator("#status")).to_have_text("Confirmed")
    screenshot(page, "booking")

    # Charles no longer flies: cancel just him, after seeing the refund.
    page.get_by_role("link", name="Cancel passengers or booking").click()
    page.get_by_label("Charles Babbage").check()  # nobody is ticked to begin with
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.get_by_role("heading", name="Cancel 1 passenger?")).to_be_visible()
    expect(page.locator("#refund-total")).to_have_text("€194.75")  # 4 days out: the late rate, 50% of €389.50
    screenshot(page, "cancel-review")
    page.get_by_role("button", name="Cancel 1 passenger, refund €194.75").click()
    expect(page.get_by_text("Cancelled: Charles Babbage.")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Confirmed")
    screenshot(page, "booking-partly-cancelled")
    chosen.refresh_from_db()
    booking.refresh_from_db()
    assert chosen.seats_booked == 1
    assert booking.status == Booking.Status.CONFIRMED
    assert [t.status for t in booking.tickets.order_by("seat")] == ["active", "cancelled"]


def test_search_results_fit_a_phone_screen(new_page, screenshot, london_new_york_day):
    day, _ = london_new_york_day
    phone = new_page(PHONE, is_mobile=True, has_touch=True)

    phone.goto(f"/?origin=London&destination=New+York&date={day.isoformat()}&passengers=2")
    expect(phone.get_by_role("link", name=re.compile(r"^Select flight"))).to_have_count(3)
    screenshot(phone, "search-results-mobile")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_search_without_flights_says_what_to_try_instead(page, screenshot, london_new_york_day):
    day, _ = london_new_york_day

    page.goto("/")
    search_flights(page, "New York", "Paris", day)
    # Nothing flies from New York in this data: the page says so, and what to try instead.
    expect(page.get_by_role("heading", name="No flights from New York to Paris")).to_be_visible()
    expect(page.get_by_text("We have no flights from New York in the coming weeks.")).to_be_visible()
    screenshot(page, "search-no-results")


def test_staff_adds_a_flight_finds_it_in_search_and_opens_its_manifest(page, screenshot, airports):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test")
    FlightFactory(
        number="SK118",
        origin=airports["JFK"],
        destination=airports["LHR"],
        departs_at=_departing(london_day(2), time(19, 30), NEW_YORK),
        arrives_at=_departing(london_day(3), time(7, 25)),
        price=Decimal("405.00"),
    )
    FlightFactory(
        number="SK330",
        origin=airports["LHR"],
        destination=airports["CDG"],
        departs_at=_departing(london_day(3), time(7, 15)),
        arrives_at=_departing(london_day(3), time(8, 30)),
        price=Decimal("89.00"),
    )
    day = london_day(6)

    page.goto("/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail address").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()

    # Staff pages need two-step sign-in: the first visit sets it up (the key can be typed into
    # the app instead of scanning the QR code), shows the recovery codes once, and goes on.
    page.get_by_role("link", name="Schedule").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_text("Staff accounts need two-step sign-in")).to_be_visible()
    key = page.locator("code.user-select-all").inner_text()
    page.get_by_role("textbox", name=re.compile(r"^Code")).fill(authenticator_code_for_key(key))
    screenshot(page, "two-step-setup")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    screenshot(page, "two-step-recovery-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
    page.get_by_role("link", name="Add a flight").click()
    page.get_by_label("Flight number").fill("SK901")
    page.get_by_label(re.compile(r"^\s*From\s*\*?\s*$")).fill("LHR")
    page.get_by_label(re.compile(r"^\s*To\s*\*?\s*$")).fill("JFK")
    page.get_by_label("Departure date").fill(day.isoformat())
    page.get_by_label("Departure time").fill("09:15")
    page.get_by_label("Arrival date").fill(day.isoformat())
    page.get_by_label("Arrival time").fill("12:05")
    page.get_by_label("Seats").fill("180")
    page.get_by_label("Price per seat").fill("349.00")
    screenshot(page, "staff-flight-form")
    page.get_by_role("button", name="Add flight").click()

    expect(page.get_by_text("Flight SK901 added to the schedule.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="SK901")
    expect(row).to_contain_text("LHR → JFK")
    expect(row).to_contain_text("0 / 180")
    screenshot(page, "staff-schedule")
    flight = Flight.objects.get(number="SK901")
    assert flight.departs_at == _departing(day, time(9, 15))
    assert flight.arrives_at == _departing(day, time(12, 5), NEW_YORK)

    page.get_by_role("link", name="Search flights").click()
    search_flights(page, "LHR", "JFK", day)
    result = page.get_by_role("article").filter(has_text="SK901")
    expect(result).to_contain_text("09:15")
    expect(result).to_contain_text("12:05")
    expect(result).to_contain_text("180 seats left")

    # Another customer books two seats, so the manifest has passengers to show.
    make_booking(flight=flight, names=["Alan Turing", "Joan Clarke"])
    page.get_by_role("link", name="Manifest", exact=True).click()
    page.get_by_label("Flight number").fill("SK901")
    page.get_by_label("Departure date").fill(day.isoformat())
    page.get_by_role("button", name="Show manifest").click()
    expect(page.get_by_role("heading", name="Manifest SK901")).to_be_visible()
    expect(page.locator("#seats-sold")).to_have_text("2")
    expect(page.get_by_text("seats sold")).to_be_visible()
    expect(page.get_by_role("cell", name="Joan Clarke")).to_be_visible()
    screenshot(page, "manifest")


def test_passenger_picks_london_from_suggestions_with_the_keyboard_and_sorts_by_price(
    page, screenshot, london_new_york_day
):
    day, _flights = london_new_york_day
    page.goto("/")
    origin = page.get_by_role("combobox", name="From")
    origin.click()
    origin.press_sequentially("lon", delay=40)
    suggestions = page.get_by_role("listbox", name="From suggestions")
    expect(suggestions).to_be_visible()
    expect(suggestions.get_by_role("option").first).to_contain_text("London — all airports")
    screenshot(page, "autosuggest")
    origin.press("ArrowDown")
    expect(origin).to_have_attribute("aria-activedescendant", re.compile(r"id_origin-suggestions-0"))
    origin.press("Enter")
    expect(origin).to_have_value("London")
    expect(suggestions).to_be_hidden()

    page.get_by_role("combobox", name="To").fill("JFK")
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Search flights").click()
    expect(page.get_by_role("heading", name=re.compile(r"3 flights from London"))).to_be_visible()

    page.get_by_role("link", name="Cheapest").click()
    prices = page.locator(".flight-card .price").all_inner_texts()
    values = [Decimal(p.replace("€", "").replace(",", "")) for p in prices]
    assert values == sorted(values) and len(values) == 3
