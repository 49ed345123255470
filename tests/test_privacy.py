"""Privacy (issue 14): a passenger downloads everything kept about them, deletes the account
(bookings stay, anonymised; the account can no longer sign in, not even with an API token),
and passengers of long-departed flights are anonymised by a daily job. No card number is kept."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import two_factor
from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory, verified_login
from bookings.models import Booking, Payment, Ticket
from bookings.services import passengers_anonymise
from bookings.services.privacy import ANONYMOUS_NAME
from bookings.tasks import passengers_anonymise as passengers_anonymise_task
from bookings.tests.factories import make_booking
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def past_booking(user, *, days_ago: int = 30) -> Booking:
    booking = make_booking(user=user, names=["Ada Lovelace"])
    departed = timezone.now() - timedelta(days=days_ago)
    booking.flight.__class__.objects.filter(pk=booking.flight_id).update(
        departs_at=departed, arrives_at=departed + timedelta(hours=2)
    )
    return booking


def test_my_data_is_everything_kept_about_me_and_nobody_elses():
    user = UserFactory(first_name="Ada")
    booking = make_booking(user=user, names=["Ada Lovelace", "Charles Babbage"])
    make_booking(names=["Someone Else"])
    response = signed_in(user).get(reverse("bookings:my_data"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["email"] == user.email and data["account"]["first_name"] == "Ada"
    assert [b["reference"] for b in data["bookings"]] == [booking.reference]
    assert [p["name"] for p in data["bookings"][0]["passengers"]] == ["Ada Lovelace", "Charles Babbage"]
    assert data["bookings"][0]["card"].endswith("4242")
    assert any(email["to"] == user.email for email in data["emails"])  # the confirmation
    assert "Someone Else" not in response.content.decode()
    assert Client().get(reverse("bookings:my_data")).status_code == 302  # signed in only


def test_no_card_number_is_kept_anywhere():
    booking = make_booking()
    payment = Payment.objects.get(booking=booking)
    stored = json.dumps([str(value) for value in Payment.objects.filter(pk=payment.pk).values().get().values()])
    assert "4242424242424242" not in stored and payment.card_last4 == "4242"


def test_deleting_the_account_keeps_the_bookings_anonymised_and_ends_every_way_in():
    user = UserFactory()
    booking = past_booking(user)
    email = user.email
    token = str(RefreshToken.for_user(user).access_token)
    client = verified_login(Client(), user)  # with two-step sign-in on
    response = client.post(reverse("bookings:account_delete"), {"password": PASSWORD})
    assert response.status_code == 302

    user.refresh_from_db()
    assert not user.is_active and user.email.endswith("@deleted.invalid") and not user.first_name
    assert Booking.objects.filter(pk=booking.pk).exists()  # the airline's record stays
    assert set(Ticket.objects.filter(booking=booking).values_list("passenger_name", flat=True)) == {ANONYMOUS_NAME}
    assert not OutboxMessage.objects.filter(user_id=user.pk).exclude(to=user.email).exists()
    assert "_auth_user_id" not in client.session
    assert not two_factor.has_second_factor(user)  # its authenticator and codes are gone too
    login = Client().post(reverse("accounts:login"), {"username": email, "password": PASSWORD})
    assert login.status_code == 200  # the old e-mail and password no longer sign in
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me").status_code == 401


def test_an_account_with_a_trip_ahead_cannot_be_deleted_and_nothing_changes():
    booking = make_booking()
    response = signed_in(booking.user).post(reverse("bookings:account_delete"), {"password": PASSWORD}, follow=True)
    assert "Cancel your upcoming bookings first" in response.content.decode()
    assert User.objects.get(pk=booking.user_id).is_active
    assert Ticket.objects.filter(booking=booking).exclude(passenger_name=ANONYMOUS_NAME).exists()


def test_deleting_needs_the_password():
    user = UserFactory()
    response = signed_in(user).post(reverse("bookings:account_delete"), {"password": "not it"})
    assert response.status_code == 200 and "That is not your password." in response.content.decode()
    assert User.objects.get(pk=user.pk).is_active


def test_passengers_of_long_departed_flights_are_anonymised_once(settings):
    settings.PRIVACY_RETENTION_DAYS = 365
    old, recent = past_booking(UserFactory(), days_ago=400), past_booking(UserFactory(), days_ago=100)
    FlightFactory()  # flights ahead are never touched
    assert passengers_anonymise_task.delay().get() == 1
    assert Ticket.objects.get(booking=old).passenger_name == ANONYMOUS_NAME
    assert Ticket.objects.get(booking=recent).passenger_name == "Ada Lovelace"
    assert passengers_anonymise() == 0
    with time_machine.travel(timezone.now() + timedelta(days=300)):
        assert passengers_anonymise() == 1
