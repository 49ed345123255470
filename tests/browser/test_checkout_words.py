"""Checkout and manage booking as a newcomer meets them, at desktop and phone sizes: passenger 1
is filled in from the account, the card expiry writes itself as MM/YY, the confirmation says
when, where, who and what next, and cancelling one of two passengers starts with nobody ticked
and reviews exactly who goes and what comes back. axe-core checks every page (`new_page`)."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from bookings.models import Booking, Ticket
from flights.tests.factories import AirportFactory, FlightFactory
from tests.browser.helpers import LONDON, london_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def flight():
    """SK117 London Heathrow to New York JFK, ten days ahead (a full refund if cancelled now)."""
    departs = datetime.combine(london_day(10), time(13, 5), tzinfo=LONDON)
    return FlightFactory(
        number="SK117",
        origin=AirportFactory(iata="LHR", city="London", name="London Heathrow Airport", tz="Europe/London"),
        destination=AirportFactory(
            iata="JFK", city="New York", name="John F Kennedy International Airport", tz="America/New_York"
        ),
        departs_at=departs,
        arrives_at=departs + timedelta(minutes=490),
        price=Decimal("389.50"),
        capacity=180,
    )


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize(("size", "suffix"), [(DESKTOP, ""), (PHONE, "-phone")], ids=["desktop", "phone"])
def test_booking_two_and_cancelling_one_with_nothing_ticked_for_you(
    new_page, screenshot, assert_accessible, flight, size, suffix
):
    ada = UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.test")
    page = new_page(size, **({"is_mobile": True, "has_touch": True} if size is PHONE else {}))

    # Log in on the way to the flight, for two passengers.
    page.goto("/accounts/login/?next=" + quote(f"/flights/{flight.pk}/?passengers=2"))
    page.get_by_label("E-mail address").fill(ada.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name=re.compile(r"^Hold 2 seats")).click()

    # Passenger 1 is the account holder, to keep or change; passenger 2 is blank.
    expect(page.get_by_role("heading", name="Who is flying?")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="are held for you")).to_contain_text(
        re.compile(r"Seats \w+ and \w+ are held for you")
    )
    first = page.get_by_role("group", name=re.compile(r"^Passenger 1"))
    expect(first.get_by_label("Given names")).to_have_value("Ada")
    expect(first.get_by_label("Last name")).to_have_value("Lovelace")
    second = page.get_by_role("group", name=re.compile(r"^Passenger 2"))
    expect(second.get_by_label("Given names")).to_have_value("")
    second.get_by_label("Given names").fill("Charles")
    second.get_by_label("Last name").fill("Babbage")
    page.get_by_role("button", name="Continue to payment").click()

    # The expiry writes itself as MM/YY while typed.
    expect(page.get_by_role("heading", name="Payment")).to_be_visible()
    page.get_by_label("Name on card").fill("Ada Lovelace")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    expiry = page.get_by_label("Expiry date (MM/YY)")
    expiry.press_sequentially("1239")
    expect(expiry).to_have_value("12/39")
    page.get_by_label("Security code (CVC)").fill("123")
    _fits(page)
    page.get_by_role("button", name="Pay €779.00 and book").click()

    # The confirmation: when, where, who, and what next.
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    booking = Booking.objects.get(user=ada)
    expect(page.locator("#reference")).to_have_text(booking.reference)
    expect(page.locator("#trip-departs")).to_contain_text("13:05 GMT from London Heathrow Airport (LHR)")
    expect(page.locator("#trip-arrives")).to_contain_text("EST at John F Kennedy International Airport (JFK)")
    expect(page.get_by_role("heading", name="2 passengers")).to_be_visible()
    expect(page.get_by_role("link", name="E-ticket for Charles Babbage")).to_be_visible()
    steps = page.locator(".airport-steps")
    expect(steps).to_contain_text("11:05 GMT")
    expect(steps).to_contain_text("Check-in and bag drop close (40 minutes before departure)")
    expect(steps).to_contain_text("Boarding gate closes (20 minutes before departure)")
    _fits(page)
    assert_accessible(page)
    screenshot(page, f"checkout-confirmation{suffix}")

    # Cancel Charles only: nobody is ticked until the passenger ticks someone.
    page.get_by_role("link", name="Manage or cancel this booking").click()
    page.get_by_role("link", name="Cancel passengers or booking").click()
    expect(page.get_by_role("heading", name="Who is no longer flying?")).to_be_visible()
    expect(page.get_by_label("Ada Lovelace")).not_to_be_checked()
    expect(page.get_by_label("Charles Babbage")).not_to_be_checked()
    expect(page.get_by_role("button", name="Review cancelling the whole booking")).to_be_visible()
    _fits(page)
    screenshot(page, f"cancel-choose{suffix}")
    page.get_by_role("button", name="Review cancellation").click()
    expect(page.locator("#cancel-error")).to_have_text("Choose at least one passenger to cancel.")
    page.get_by_label("Charles Babbage").check()
    page.get_by_role("button", name="Review cancellation").click()

    expect(page.get_by_role("heading", name="Cancel 1 passenger?")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Charles Babbage")
    expect(page.get_by_role("table")).not_to_contain_text("Ada Lovelace")
    expect(page.locator("#cancel-effect")).to_have_text("Ada Lovelace keeps their seat and e-ticket.")
    expect(page.locator("#refund-total")).to_have_text("€389.50")
    expect(page.get_by_role("table")).to_contain_text("Refund to your Visa card ending 4242")
    _fits(page)
    assert_accessible(page)
    screenshot(page, f"cancel-review-explicit{suffix}")
    page.get_by_role("button", name="Cancel 1 passenger, refund €389.50").click()

    expect(page.get_by_text("Cancelled: Charles Babbage.")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Confirmed")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert sorted(booking.tickets.values_list("passenger_name", "status")) == [
        ("Ada Lovelace", Ticket.Status.ACTIVE),
        ("Charles Babbage", Ticket.Status.CANCELLED),
    ]
