"""Browser security headers on every kind of page (ASVS 3.4, issue 14): a strict
Content-Security-Policy (our own files only; no 'unsafe-inline'), frame-ancestors none, a
Referrer-Policy and a Permissions-Policy; and no inline script, handler or style left in the
HTML for that policy to block. (The browser journeys also fail on any violation Chromium
reports: tests/browser/conftest.py.)"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import StaffFactory, verified_login
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def pages():
    booking = make_booking()
    flight = FlightFactory()
    staff = StaffFactory()
    anonymous, passenger, staff_client = Client(), Client(), Client()
    passenger.force_login(booking.user)
    verified_login(staff_client, staff)
    return [
        (anonymous, reverse("flights:search")),
        (anonymous, reverse("accounts:login")),
        (anonymous, reverse("accounts:signup")),
        (anonymous, reverse("bookings:book", args=[flight.pk])),
        (passenger, reverse("bookings:list")),
        (passenger, reverse("bookings:detail", args=[booking.reference])),
        (passenger, reverse("accounts:profile")),
        (staff_client, reverse("staff:schedule")),
        (staff_client, reverse("staff:import")),
        (staff_client, reverse("staff:mail_list")),
        (staff_client, reverse("staff:manifest_lookup")),
    ]


def test_every_page_has_a_strict_policy_and_nothing_inline_for_it_to_block():
    checked = 0
    for client, url in pages():
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        page = response.content.decode()
        assert not INLINE_SCRIPT.search(page), (url, INLINE_SCRIPT.search(page).group(0))
        assert not HANDLER.search(page), (url, page[HANDLER.search(page).start() - 80 :][:160])
        assert not STYLE_ATTRIBUTE.search(page), (url, page[STYLE_ATTRIBUTE.search(page).start() - 80 :][:160])
        checked += 1
    assert checked == 11


def test_the_api_and_the_admin_have_the_policy_too():
    staff = StaffFactory(is_superuser=True)
    client = Client()
    verified_login(client, staff)
    for url in ("/api/v1/flights?origin=x", reverse("admin:index")):
        response = client.get(url)
        assert "default-src 'self'" in response["Content-Security-Policy"], url
