"""Search as a newcomer types it (issue 16), at desktop and phone sizes: places written as people
write them, To suggestions led by what flies from From, an empty day that says what exists
instead, filters that agree, and on a phone the search folded into one line above the results.
(axe-core checks every page these tests load: conftest.AxeOnEveryPage.)"""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.conftest import DESKTOP
from tests.browser.helpers import london_day, search_flights

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SIZES = [pytest.param(DESKTOP, "", id="desktop"), pytest.param(PHONE, "-phone", id="phone")]


@pytest.fixture
def network():
    """London Heathrow to New York and Frankfurt; Paris Orly busy, but not from London."""
    airports = {
        code: AirportFactory(iata=code, city=city, name=name, tz=tz, country=country)
        for code, city, name, tz, country in (
            ("LHR", "London", "London Heathrow Airport", "Europe/London", "GB"),
            ("JFK", "New York", "John F Kennedy International Airport", "America/New_York", "US"),
            ("FRA", "Frankfurt am Main", "Frankfurt am Main International Airport", "Europe/Berlin", "DE"),
            ("CDG", "Paris", "Paris Charles de Gaulle Airport", "Europe/Paris", "FR"),
            ("ORY", "Paris", "Paris Orly Airport", "Europe/Paris", "FR"),
            ("OSL", "Oslo", "Oslo Gardermoen Airport", "Europe/Oslo", "NO"),
        )
    }

    def flight(number, origin, destination, days_ahead, price, hour=9, minutes=100):
        departs = datetime.combine(london_day(days_ahead), time(hour), tzinfo=airports[origin].zone)
        return FlightFactory(
            number=number,
            origin=airports[origin],
            destination=airports[destination],
            departs_at=departs,
            arrives_at=departs + timedelta(minutes=minutes),
            price=Decimal(price),
        )

    for offset in (2, 3, 4, 5, 6, 7, 8):
        flight(f"SK{100 + offset}", "LHR", "JFK", offset, f"{380 + offset * 7}.00", hour=13, minutes=480)
    flight("SK150", "LHR", "JFK", 5, "699.00", hour=8, minutes=470)
    flight("SK201", "LHR", "FRA", 3, "99.00")
    flight("SK202", "LHR", "FRA", 9, "119.00")
    flight("SK203", "LHR", "CDG", 4, "89.00")
    for hour in (7, 9, 11):
        flight(f"SK3{hour:02d}", "ORY", "OSL", 4, "79.00", hour=hour)
    return airports


def _in_view(page, locator, container) -> bool:
    """Whether `locator` lies wholly within `container`'s visible (scrolled) box."""
    box, frame = locator.bounding_box(), container.bounding_box()
    return box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1


@pytest.mark.parametrize(("viewport", "suffix"), SIZES)
def test_results_show_what_was_searched_and_the_chosen_day(new_page, screenshot, network, viewport, suffix):
    page = new_page(viewport)
    day = london_day(5)
    page.goto("/")
    search_flights(page, "london", "New York", day, passengers=2)  # typed, no suggestion picked
    expect(page.get_by_role("heading", name=re.compile(r"^2 flights from London to New York"))).to_be_visible()

    summary = page.locator("summary.search-summary")
    search = page.get_by_role("form", name="Search flights")
    if viewport is PHONE:
        # One line above the results; the form opens on tap and folds away again.
        expect(summary).to_be_visible()
        expect(summary).to_contain_text(f"London → to New York · {day:%a} {day.day} {day:%b} · 2 passengers")
        expect(summary).to_contain_text("Edit")
        expect(search.get_by_label("From", exact=True)).to_be_hidden()
        assert summary.bounding_box()["height"] < 90
        strip = page.get_by_role("navigation", name="Nearby dates").get_by_role("list")
        chosen = strip.locator("[aria-current=page]")
        expect(chosen).to_contain_text(f"{day:%a} {day.day} {day:%b}")
        assert _in_view(page, chosen, strip), "the chosen day is scrolled into view"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "search-phone-summary")
        summary.focus()  # the keyboard opens it as a tap does
        page.keyboard.press("Enter")
        expect(search.get_by_label("From", exact=True)).to_be_visible()
        expect(search.get_by_label("From", exact=True)).to_have_value("london")
        screenshot(page, "search-phone-summary-open")
        summary.click()
        expect(search.get_by_label("From", exact=True)).to_be_hidden()
    else:
        expect(summary).to_be_hidden()
        expect(search.get_by_label("From", exact=True)).to_be_visible()
        # The form is there for the keyboard as it always was.
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "id_origin":
                break
        expect(search.get_by_label("From", exact=True)).to_be_focused()
        search.get_by_label("Date", exact=True).fill(london_day(3).isoformat())
        search.get_by_role("button", name="Search").click()
        expect(page.get_by_role("heading", name=re.compile(r"^1 flight from London to New York"))).to_be_visible()


def test_the_folded_search_opens_without_javascript(browser, live_server, network):
    # A context of its own: axe-core (new_page's check on every page) needs JavaScript; the
    # same page with it is checked above.
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        day = london_day(5)
        page.goto(f"/?origin=LHR&destination=JFK&date={day.isoformat()}&passengers=1")
        search = page.get_by_role("form", name="Search flights")
        expect(search.get_by_label("To", exact=True)).to_be_hidden()
        page.get_by_text("Edit", exact=True).click()
        expect(search.get_by_label("To", exact=True)).to_have_value("JFK")
        expect(search.get_by_label("To", exact=True)).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize(("viewport", "suffix"), SIZES)
def test_an_empty_search_says_what_exists_instead(new_page, screenshot, network, viewport, suffix):
    page = new_page(viewport)
    empty_day = london_day(6)
    page.goto(f"/?origin=LHR&destination=Frankfurt&date={empty_day.isoformat()}&passengers=1")
    # "Frankfurt" is Frankfurt am Main; there is no flight that day, but there are on others.
    expect(
        page.get_by_role("heading", name=f"No flights on {empty_day:%A} {empty_day.day} {empty_day:%B %Y}")
    ).to_be_visible()
    earlier = page.get_by_role("link", name=re.compile(r"^Earlier: "))
    later = page.get_by_role("link", name=re.compile(r"^Later: "))
    expect(earlier).to_contain_text(f"{london_day(3):%A} {london_day(3).day}")
    expect(later).to_contain_text(f"{london_day(9):%A} {london_day(9).day}")
    screenshot(page, f"search-empty-nearest-days{suffix}")
    later.click()
    expect(page.get_by_role("link", name=re.compile(r"^Select flight SK202"))).to_be_visible()

    # A route never flown: where one can fly from London instead.
    page.goto(f"/?origin=London&destination=Oslo&date={empty_day.isoformat()}&passengers=1")
    expect(page.get_by_role("heading", name="No flights from London to Oslo")).to_be_visible()
    routes = page.get_by_role("list").filter(has=page.get_by_role("link", name=re.compile(r"^Frankfurt am Main")))
    expect(routes.get_by_role("link")).to_have_count(2)  # Paris flies only before that day
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"search-empty-alternatives{suffix}")
    routes.get_by_role("link", name=re.compile(r"^New York \(JFK\)")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^1 flight from London to New York"))).to_be_visible()


def test_filters_agree_with_each_other(page, screenshot, network):
    day, next_day = london_day(5), london_day(6)
    page.goto(f"/?origin=LHR&destination=JFK&date={day.isoformat()}&passengers=1&sort=price")
    page.get_by_label("Max price").fill("420")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="hidden by your filters")).to_contain_text(
        "1 more flight that day is hidden by your filters."
    )
    # The strip shows a fare only where one is within the limit (days 2 to 5 of 2 to 8).
    strip = page.get_by_role("navigation", name="Nearby dates")
    expect(strip.get_by_role("link", name=re.compile(r"no flights within your price$"))).to_have_count(3)
    expect(strip.get_by_role("link", name=re.compile(r"€\d+\.00$"))).to_have_count(4)

    # A day the strip says has nothing within the price: the page says the filter hides its
    # flight (never "no flights" above a "hidden" banner), keeping the sort and the limit.
    strip.get_by_role("link", name=re.compile(f"^{next_day:%a} {next_day.day} {next_day:%b}")).click()
    expect(page).to_have_url(re.compile(r"max_price=420"))
    expect(page).to_have_url(re.compile(r"sort=price"))
    expect(page.get_by_role("heading", name="Filters hide 1 flight")).to_be_visible()
    expect(page.get_by_text("hidden by your filters")).to_have_count(0)
    screenshot(page, "search-filters-hide")
    page.get_by_role("link", name="Clear filters and show 1 flight").click()
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page).not_to_have_url(re.compile(r"max_price"))
    expect(page).to_have_url(re.compile(r"sort=price"))


def test_to_suggests_what_flies_from_the_chosen_origin_first_by_keyboard(page, network):
    page.goto("/")
    search = page.get_by_role("form", name="Search flights")
    search.get_by_label("From", exact=True).fill("London")
    destination = search.get_by_label("To", exact=True)
    destination.press_sequentially("par", delay=30)
    options = page.get_by_role("listbox", name="To suggestions").get_by_role("option")
    expect(options.first).to_contain_text("Paris — all airports")
    expect(options.nth(1)).to_contain_text("Paris (CDG)")
    expect(options.nth(1)).to_contain_text("Direct flights from London")
    expect(options.nth(2)).to_contain_text("Paris (ORY)")
    destination.press("ArrowDown")
    destination.press("ArrowDown")
    destination.press("Enter")
    expect(destination).to_have_value("CDG")
