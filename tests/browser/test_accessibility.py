"""Accessibility a keyboard user and a screen reader meet on every page (issue 16): a focus ring
on every control, readable contrast on tinted backgrounds, and error pages that look like the
site and lead back. (axe-core checks every page these tests load: conftest.AxeOnEveryPage.)"""

import re
from datetime import datetime, time
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from booking_site.error_views import server_error
from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.helpers import LONDON, london_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
# site.css's Focus section: near-black on light backgrounds, yellow on the dark blue navbar.
RING_ON_LIGHT = "rgb(27, 27, 27)"
RING_ON_DARK = "rgb(255, 213, 79)"


@pytest.fixture
def london_paris_day():
    """Two London–Paris flights in three days: SK330 at 89, SK334 at 149."""
    london = AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London")
    paris = AirportFactory(iata="CDG", city="Paris", name="Paris Charles de Gaulle Airport", tz="Europe/Paris")
    day = london_day(3)
    for number, at, price in (("SK330", time(9, 15), "89.00"), ("SK334", time(17, 40), "149.00")):
        FlightFactory(
            number=number,
            origin=london,
            destination=paris,
            departs_at=datetime.combine(day, at, tzinfo=LONDON),
            price=Decimal(price),
        )
    return day


def _tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab, as a keyboard user does, until the element matching `selector` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def _focus_ring(page) -> dict:
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return {width: style.outlineWidth, style: style.outlineStyle, offset: style.outlineOffset,
                    color: style.outlineColor};
        }"""
    )


def _assert_ring(page, color: str) -> None:
    assert _focus_ring(page) == {"width": "3px", "style": "solid", "offset": "2px", "color": color}


def test_the_keyboard_shows_a_clear_ring_on_every_kind_of_control(page, screenshot, london_paris_day):
    page.goto("/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    _assert_ring(page, RING_ON_LIGHT)

    _tab_to(page, "nav a.nav-link")
    _assert_ring(page, RING_ON_DARK)
    screenshot(page, "focus-ring-navbar")

    _tab_to(page, "#id_origin")
    _assert_ring(page, RING_ON_LIGHT)
    _tab_to(page, "button.btn-brand")
    _assert_ring(page, RING_ON_LIGHT)
    screenshot(page, "focus-ring")

    page.goto(f"/?origin=LHR&destination=CDG&date={london_paris_day.isoformat()}&passengers=1")
    _tab_to(page, "article.flight-card a")
    expect(page.get_by_role("link", name=re.compile(r"^Select flight SK330 departing"))).to_be_focused()
    _assert_ring(page, RING_ON_LIGHT)
    screenshot(page, "focus-ring-card")


def test_on_a_phone_the_menu_button_and_its_links_show_the_ring_too(new_page, screenshot):
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    page.goto("/")

    _tab_to(page, "button.navbar-toggler")
    _assert_ring(page, RING_ON_DARK)
    page.keyboard.press("Enter")
    _tab_to(page, "nav a.nav-link")
    expect(page.get_by_role("link", name="Search flights", exact=True)).to_be_focused()
    _assert_ring(page, RING_ON_DARK)
    screenshot(page, "focus-ring-phone")


def test_skip_to_content_takes_the_keyboard_past_the_navigation(page):
    page.goto("/")

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    expect(page.get_by_label("From", exact=True)).to_be_focused()


def test_the_banner_about_flights_hidden_by_a_filter_is_readable(page, screenshot, london_paris_day):
    page.goto(f"/?origin=LHR&destination=CDG&date={london_paris_day.isoformat()}&passengers=1&max_price=100")

    banner = page.get_by_role("status").filter(has_text="hidden by your filters")
    expect(banner).to_contain_text("1 more flight that day is hidden by your filters.")
    banner.get_by_role("link", name="Show all flights").focus()
    _assert_ring(page, RING_ON_LIGHT)
    screenshot(page, "search-results-filtered")

    banner.get_by_role("link", name="Show all flights").click()
    expect(page.get_by_role("article")).to_have_count(2)


@pytest.mark.parametrize(
    ("viewport", "name"), [({"width": 1280, "height": 900}, "error-404"), (PHONE, "error-404-phone")]
)
def test_a_missing_page_looks_like_the_site_and_leads_back_to_search(new_page, screenshot, viewport, name):
    page = new_page(viewport)

    response = page.goto("/no-such-page/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We can't find that page")
    expect(page.get_by_role("main").get_by_role("link", name="Manage a booking")).to_be_visible()
    screenshot(page, name)
    page.get_by_role("main").get_by_role("link", name="Search flights").click()
    expect(page.get_by_role("form", name="Search flights")).to_be_visible()


def test_a_form_sent_after_the_session_changed_says_so_and_leads_back_to_it(page, screenshot):
    page.goto(reverse("accounts:login"))
    # Another tab logged in or out meanwhile: the CSRF cookie no longer matches this form's token.
    (token,) = [cookie for cookie in page.context.cookies() if cookie["name"] == "csrftoken"]
    page.context.add_cookies([{**token, "value": "x" * 32}])
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your session expired")
    expect(page.get_by_text("Go back, reload the page, and try again.")).to_be_visible()
    screenshot(page, "error-csrf")
    page.get_by_role("link", name="Back to the page").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_server_error_page_looks_like_the_site_without_the_request_context(page, screenshot):
    request = RequestFactory().get("/broken/")
    request.id = "req-0123456789abcdef"
    html = server_error(request).content.decode()
    # Served as the live server would on a 500; its stylesheets come from the live server.
    page.route("**/broken/", lambda route: route.fulfill(status=500, content_type="text/html", body=html))

    page.goto("/broken/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    expect(page.get_by_text("req-0123456789abcdef")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.btn-brand')).backgroundColor") == "rgb(255, 179, 0)"
    screenshot(page, "error-500")
