"""The seat map with the keyboard alone, at desktop and phone sizes: one Tab into the map,
arrow keys between seats, Space to choose, then on to log in and back with the seats kept."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from bookings.models import Booking
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory
from tests.browser.conftest import DESKTOP, TIMEOUT_MS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
# A page after a form or link: the server, and axe-core checking the page before (conftest), on
# a busy machine take longer than expect()'s default five seconds.
AFTER_NAVIGATION_MS = TIMEOUT_MS


@pytest.fixture
def busy_flight():
    """A 180-seat 3-3 cabin (rows 1-30): rows 1-3 sold out, 4A and a scattering further back taken."""
    departs = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    flight = FlightFactory(
        number="SK204",
        capacity=180,
        layout="3-3",
        price=Decimal("149.00"),
        departs_at=departs,
        arrives_at=departs + timedelta(hours=2),
    )
    sold = [f"{row}{letter}" for row in (1, 2, 3) for letter in "ABCDEF"]
    for seats in (sold[:9], sold[9:], ["4A", "9C", "12D", "20F", "27B"]):
        make_booking(flight=flight, passengers=len(seats), seats=seats)
    return flight


def _focused_seat(page) -> str:
    return page.evaluate("document.activeElement.dataset.seat || ''")


def _focused_name(page) -> str:
    return page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.textContent")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_keyboard_user_picks_two_seats_on_a_180_seat_map_logs_in_and_holds_them(
    new_page, screenshot, assert_accessible, busy_flight, viewport
):
    user = UserFactory(email="grace@example.test")
    page = new_page(viewport)
    page.goto(reverse("bookings:book", args=[busy_flight.pk]) + "?passengers=2")
    grid = page.get_by_role("grid", name="Choose your seats")
    expect(grid).to_be_visible()
    expect(page.get_by_role("rowheader", name="Rows 1–3: no free seats")).to_be_visible()
    expect(page.get_by_text("Window A and F")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]  # no sideways page scroll

    # One Tab from the link before the map lands on a seat (the first free one), one more leaves it.
    page.get_by_role("link", name="Search results").focus()
    page.keyboard.press("Tab")
    assert _focused_seat(page) == "4B"
    assert _focused_name(page) == "Seat 4B, middle, free"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_count"  # the passengers list
    page.keyboard.press("Shift+Tab")
    assert _focused_seat(page) == "4B"

    # Arrows: Up stops at the first row with seats, Left reaches the taken window seat (and says
    # so), Right crosses the aisle, Down walks back through the cabin.
    page.keyboard.press("ArrowUp")
    assert _focused_seat(page) == "4B"
    page.keyboard.press("ArrowLeft")
    assert _focused_name(page) == "Seat 4A, window, taken"
    page.keyboard.press("Space")
    expect(page.locator("#seat-map-status")).to_have_text("Seat 4A is taken. Choose a free seat.")
    for key in ("End", "Home", "ArrowRight", "ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    assert _focused_seat(page) == "4D"
    for _ in range(8):
        page.keyboard.press("ArrowDown")
    assert _focused_name(page) == "Seat 12D, aisle, taken"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator("#seat-map-status")).to_have_text(
        "Seat 13D is chosen for passenger 1. Choose a seat for passenger 2 next."
    )
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    expect(page.locator("#seat-map-status")).to_have_text(
        "Seat 13C is chosen for passenger 2. Every passenger has a seat."
    )
    expect(page.get_by_label("Seat for passenger 1")).to_have_value("13D")
    expect(page.get_by_label("Seat for passenger 2")).to_have_value("13C")
    expect(grid.get_by_role("gridcell", name="Seat 13C, aisle, selected for passenger 2")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("[data-seat-summary]")).to_have_text("Seats 13D, 13C")
    # The focused seat is never hidden under the booking bar fixed to a phone's screen.
    bar = page.locator(".book-bar").bounding_box()
    seat = page.locator(":focus").bounding_box()
    assert seat["y"] + seat["height"] <= bar["y"] or viewport == DESKTOP
    # The total and the main button stay in view wherever the cabin is scrolled.
    page.keyboard.press("Control+End")
    assert _focused_seat(page) == "30F"
    expect(page.get_by_role("button", name="Log in to book")).to_be_in_viewport()
    expect(page.locator("#total")).to_be_in_viewport()
    page.keyboard.press("Control+Home")
    assert _focused_seat(page) == "4A"
    page.keyboard.press("ArrowRight")
    assert_accessible(page)
    # A full-page picture draws the phone's fixed bar where the screen is: at the page's end, as
    # when the passenger has scrolled through the cabin to the booking form.
    top = "0" if viewport == DESKTOP else "document.documentElement.scrollHeight"
    page.evaluate(f"window.scrollTo({{top: {top}, behavior: 'instant'}})")
    screenshot(page, "seatmap-keyboard" if viewport == DESKTOP else "seatmap-phone")

    # On with the keyboard: past the two seat lists to "Log in to book", then back here.
    for _ in range(4):  # the passengers list, the two seat lists, the button
        page.keyboard.press("Tab")
    assert _focused_name(page) == "Log in to book"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Hold 2 seats and continue")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
    expect(page.get_by_label("Seat for passenger 1")).to_have_value("13D")
    expect(page.get_by_label("Seat for passenger 2")).to_have_value("13C")
    expect(grid.get_by_role("gridcell", name="Seat 13D, aisle, selected for passenger 1")).to_be_visible()
    page.get_by_role("button", name="Hold 2 seats and continue").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Who is flying?")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
    booking = Booking.objects.get(user=user)
    assert sorted(ticket.seat for ticket in booking.tickets.all()) == ["13C", "13D"]


def test_changing_the_number_of_passengers_or_signing_up_keeps_the_seats_chosen(page, busy_flight):
    page.goto(reverse("bookings:book", args=[busy_flight.pk]) + "?passengers=1")
    page.get_by_role("gridcell", name="Seat 5C, aisle, free").click()
    page.get_by_label("Passengers", exact=True).select_option("3")
    expect(page.get_by_role("button", name="Log in to book")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
    expect(page.get_by_label("Seat for passenger 1")).to_have_value("5C")
    expect(page.get_by_label("Seat for passenger 3")).to_have_value("")
    expect(page.locator("[data-seat-summary]")).to_have_text("Seat 5C; we choose 2 more seats")
    # Signing up from here comes back to the flight with the party and its seat.
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("E-mail address").fill("ada@example.test")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill("analytical-engine-1843")
    page.get_by_label("Confirm password").fill("analytical-engine-1843")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Hold 3 seats and continue")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
    expect(page.get_by_label("Seat for passenger 1")).to_have_value("5C")


def test_without_the_sites_scripts_the_seat_lists_still_book_and_the_map_shows_the_choice(new_page, busy_flight):
    """The site's own scripts blocked (as when they fail to load): the page is the plain form.
    (Not java_script_enabled=False: axe-core, which checks every page, runs as a script.)"""
    user = UserFactory()
    page = new_page(PHONE)
    page.route(re.compile(r"/static/js/"), lambda route: route.abort())
    page.goto(reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(reverse("bookings:book", args=[busy_flight.pk]) + "?passengers=2")
    assert page.locator("[data-seat-map] [tabindex]").count() == 0  # a picture, no dead Tab stops
    page.get_by_label("Seat for passenger 1").select_option("7A")
    page.get_by_label("Seat for passenger 2").select_option("7A")
    page.get_by_role("button", name="Hold 2 seats and continue").click()
    expect(page.get_by_text("Seat 7A is already chosen for another passenger.")).to_be_visible(
        timeout=AFTER_NAVIGATION_MS
    )
    expect(page.get_by_role("gridcell", name="Seat 7A, window, selected for passenger 1")).to_be_visible()
    page.get_by_label("Seat for passenger 2").select_option("7B")
    page.get_by_role("button", name="Hold 2 seats and continue").click()
    expect(page.get_by_role("heading", name="Who is flying?")).to_be_visible(timeout=AFTER_NAVIGATION_MS)
