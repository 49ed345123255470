"""Discovery as a newcomer meets it, at desktop and phone sizes: where the airline flies, where
one can go from a place (a search with only From), and a month of fares."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.conftest import DESKTOP
from tests.browser.helpers import london_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, "", id="desktop"), pytest.param(PHONE, "-phone", id="phone")]


@pytest.fixture
def network():
    """London Heathrow to Paris almost every day for ten weeks; a few other routes."""
    lhr = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London", country="GB")
    lgw = AirportFactory(iata="LGW", city="London", name="London Gatwick Airport", tz="Europe/London", country="GB")
    cdg = AirportFactory(
        iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris", country="FR"
    )
    jfk = AirportFactory(
        iata="JFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York", country="US"
    )
    fco = AirportFactory(iata="FCO", city="Rome", name="Rome Fiumicino Airport", tz="Europe/Rome", country="IT")

    def flight(number, origin, destination, days_ahead, price, hour=9, minutes=80):
        departs = datetime.combine(london_day(days_ahead), time(hour), tzinfo=origin.zone)
        return FlightFactory(
            number=number,
            origin=origin,
            destination=destination,
            departs_at=departs,
            arrives_at=departs + timedelta(minutes=minutes),
            price=Decimal(price),
        )

    for offset in range(2, 72):
        if offset % 7 != 3:  # no flight one day a week
            flight(f"SK{300 + offset}", lhr, cdg, offset, f"{69 + (offset * 37) % 120}.00")
    flight("SK201", lhr, jfk, 5, "389.00", hour=13, minutes=480)
    flight("SK202", lhr, jfk, 12, "349.00", hour=13, minutes=480)
    flight("SK211", lgw, fco, 4, "74.99", hour=7, minutes=150)
    flight("SK221", cdg, lhr, 3, "88.00", hour=18)
    flight("SK231", jfk, lhr, 6, "412.00", hour=21, minutes=420)
    return {"LHR": lhr, "LGW": lgw, "CDG": cdg, "JFK": jfk, "FCO": fco}


@pytest.mark.parametrize(("viewport", "suffix"), SIZES)
def test_newcomer_finds_where_we_fly_and_books_a_route_from_it(
    new_page, screenshot, assert_accessible, network, viewport, suffix
):
    page = new_page(viewport)
    page.goto("/")
    page.get_by_role("link", name="See where we fly").click()
    expect(page.get_by_role("heading", name="Where we fly", level=1)).to_be_visible()
    expect(page.get_by_text("5 routes from 4 airports with seats to book in the next 60 days.")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        [
            "From London Gatwick LGW",
            "From London Heathrow LHR",
            "From New York John F Kennedy JFK",
            "From Paris Charles de Gaulle CDG",
        ]
    )
    heathrow = page.get_by_role("region", name="From London Heathrow LHR")
    # Keyboard only: the airport's summary line is a control that opens its routes.
    heathrow.get_by_text("2 destinations, from €").focus()
    page.keyboard.press("Enter")
    to_paris = heathrow.get_by_role(
        "link", name=re.compile(r"^Next flight: .*, London Heathrow to Paris Charles de Gaulle$")
    )
    expect(to_paris).to_be_visible()
    expect(heathrow.get_by_role("heading", name="Paris Charles de Gaulle CDG")).to_be_visible()
    first_day = london_day(2)
    expect(to_paris).to_contain_text(f"{first_day:%a} {first_day.day} {first_day:%b}")
    assert_accessible(page)
    screenshot(page, f"where-we-fly{suffix}")

    to_paris.click()
    expect(page.get_by_role("heading", name=re.compile(r"^1 flight from London to Paris"))).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize(("viewport", "suffix"), SIZES)
def test_a_search_with_only_from_shows_everywhere_to_go_from_there(
    new_page, screenshot, assert_accessible, network, viewport, suffix
):
    page = new_page(viewport)
    page.goto("/")
    search = page.get_by_role("form", name="Search flights")
    search.get_by_label("From", exact=True).fill("London")
    page.keyboard.press("Escape")  # close the suggestions, as a person would
    expect(search.get_by_label("To", exact=True)).to_have_accessible_description(
        "Leave empty to see everywhere you can fly."
    )
    search.get_by_role("button", name="Search flights").click()
    expect(page.get_by_role("heading", name="Anywhere from London")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Flights from London to anywhere"))
    expect(page.locator(".invalid-feedback")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^3 destinations with seats for 1 passenger from "))).to_be_visible()
    # London has two airports: their destinations are listed under each.
    expect(page.get_by_role("heading", level=3)).to_have_text(["From London Gatwick LGW", "From London Heathrow LHR"])
    expect(page.get_by_role("heading", level=4)).to_have_text(
        ["Rome Fiumicino FCO", "New York John F Kennedy JFK", "Paris Charles de Gaulle CDG"]
    )
    assert_accessible(page)
    screenshot(page, f"anywhere-from{suffix}")

    page.get_by_role("link", name=re.compile(r"^Next flight: .*, London Gatwick to Rome Fiumicino$")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^1 flight from London to Rome"))).to_be_visible()


@pytest.mark.parametrize(("viewport", "suffix"), SIZES)
def test_the_month_fare_calendar_opens_from_results_and_moves_a_month(
    new_page, screenshot, assert_accessible, network, viewport, suffix
):
    page = new_page(viewport)
    day = london_day(2)
    page.goto(f"/?origin=LHR&destination=CDG&date={day.isoformat()}&passengers=1")
    page.get_by_role("link", name="Fares for the whole month").click()
    this_month = day.replace(day=1)
    expect(page.get_by_role("heading", name=f"{this_month:%B %Y}")).to_be_visible()
    table = page.get_by_role("table", name=re.compile(r"^Lowest fare per passenger each day, London to Paris"))
    expect(table).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"previous month"))).to_have_count(0)  # never before today
    assert_accessible(page)

    next_month = (this_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    page.get_by_role("link", name=f"{next_month:%B} {next_month:%Y}, next month").click()
    expect(page.get_by_role("heading", name=f"{next_month:%B %Y}")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Lowest fare this month: €"))).to_be_visible()
    # The fixture's flights skip one weekday: the month has days with fares and days without.
    fare_day = next(d for d in (next_month + timedelta(days=n) for n in range(7)) if (d - london_day(0)).days % 7 != 3)
    day_link = page.get_by_role("link", name=re.compile(rf"^{fare_day:%A} {fare_day.day} {fare_day:%B} from €"))
    expect(day_link).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(r"No flights")).first).to_be_visible()
    assert_accessible(page)
    screenshot(page, f"fare-calendar{suffix}")

    page.get_by_role("link", name=f"{this_month:%B} {this_month:%Y}, previous month").click()
    expect(page.get_by_role("heading", name=f"{this_month:%B %Y}")).to_be_visible()
    page.get_by_role("link", name=f"{next_month:%B} {next_month:%Y}, next month").click()
    day_link = page.get_by_role("link", name=re.compile(rf"^{fare_day:%A} {fare_day.day} {fare_day:%B} from €"))
    day_link.click()
    expect(page.get_by_role("heading", name=re.compile(r"^1 flight from London to Paris"))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"date={fare_day.isoformat()}"))
