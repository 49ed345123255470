"""Password guessing is stopped on every way in (ASVS 6.3.1, issue 14): after
LOGIN_FAILURE_LIMIT wrong passwords for one account from one address, that pair is locked
(429 with Retry-After) on the site's login, django-admin's login and the API's token endpoint,
even for the right password; the owner at another address is not locked out; a success resets
the count."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator_code, authenticator_for
from bookings.tests.factories import make_booking
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

ATTACKER, OWNER = "198.51.100.66", "203.0.113.10"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def site_login(address: str, email: str, password: str):
    return Client(REMOTE_ADDR=address).post(reverse("accounts:login"), {"username": email, "password": password})


def admin_login(address: str, email: str, password: str):
    return Client(REMOTE_ADDR=address).post(
        reverse("admin:login"), {"username": email, "password": password, "next": "/admin/"}
    )


def api_token(address: str, email: str, password: str):
    return Client(REMOTE_ADDR=address).post(
        reverse("api:token"), {"email": email, "password": password}, content_type="application/json"
    )


def test_the_site_login_locks_the_account_from_that_address_and_not_from_the_owners():
    user = UserFactory()
    for _ in range(2):
        assert site_login(ATTACKER, user.email, "wrong").status_code == 200  # the form again, with its error
    locked = site_login(ATTACKER, user.email, "wrong")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 60
    assert "Too many failed attempts" in locked.content.decode()

    assert site_login(ATTACKER, user.email, PASSWORD).status_code == 429  # the right password too
    assert site_login(OWNER, user.email, PASSWORD).status_code == 302  # the owner, elsewhere, gets in


def test_a_successful_login_resets_the_count():
    user = UserFactory()
    for _ in range(2):
        site_login(ATTACKER, user.email, "wrong")
    assert site_login(ATTACKER, user.email, PASSWORD).status_code == 302
    for _ in range(2):
        assert site_login(ATTACKER, user.email, "wrong").status_code == 200


def test_django_admin_login_is_locked_the_same_way():
    staff = StaffFactory()
    for _ in range(3):
        response = admin_login(ATTACKER, staff.email, "wrong")
    assert response.status_code == 429
    assert admin_login(ATTACKER, staff.email, PASSWORD).status_code == 429
    assert admin_login(OWNER, staff.email, PASSWORD).status_code == 302


def test_the_api_token_endpoint_answers_locked_out_with_429_not_a_misleading_401():
    user = UserFactory()
    for _ in range(2):
        assert api_token(ATTACKER, user.email, "wrong").status_code == 401
    locked = api_token(ATTACKER, user.email, "wrong")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/problem+json"
    assert locked.json()["code"] == "locked_out"
    assert int(locked["Retry-After"]) == 15 * 60

    right_password = api_token(ATTACKER, user.email, PASSWORD)
    assert right_password.status_code == 429 and right_password.json()["code"] == "locked_out"
    assert api_token(OWNER, user.email, PASSWORD).status_code == 200


def test_failures_count_across_the_ways_in():
    user = UserFactory()
    site_login(ATTACKER, user.email, "wrong")
    api_token(ATTACKER, user.email, "wrong")
    admin_login(ATTACKER, user.email, "wrong")
    assert api_token(ATTACKER, user.email, PASSWORD).json()["code"] == "locked_out"
    assert site_login(ATTACKER, user.email.upper(), PASSWORD).status_code == 429  # the e-mail in any case


# The same lock on the other doors: manage booking and password reset requests ----------------


def manage(address: str, reference: str, last_name: str):
    return Client(REMOTE_ADDR=address).post(
        reverse("bookings:manage"), {"reference": reference, "last_name": last_name}
    )


def test_manage_booking_locks_a_reference_from_the_guessing_address_only(settings):
    settings.MANAGE_BOOKING_RATE_IP = "1000/m"  # the per-address rate limit is another guard
    booking = make_booking(names=["Ada Lovelace"])
    for _ in range(2):
        assert manage(ATTACKER, booking.reference, "Babbage").status_code == 200  # "could not find"
    locked = manage(ATTACKER, booking.reference, "Babbage")
    assert locked.status_code == 429 and int(locked["Retry-After"]) >= 60
    assert "looking it up from here is paused" in locked.content.decode()
    assert manage(ATTACKER, booking.reference, "Lovelace").status_code == 429  # the right name too
    assert manage(OWNER, booking.reference, "Lovelace").status_code == 302  # the passenger, elsewhere
    assert AccessAttempt.objects.filter(username=f"manage-booking:{booking.reference.lower()}").exists()


def test_manage_booking_counts_wrong_names_only(settings):
    settings.MANAGE_BOOKING_RATE_IP = "1000/m"
    booking = make_booking(names=["Ada Lovelace"])
    for _ in range(4):
        assert manage(ATTACKER, booking.reference, "Lovelace").status_code == 302


def test_password_reset_requests_lock_the_address_from_that_client(settings):
    settings.PASSWORD_RESET_RATE_ADDRESS = "100/h"  # the silent per-address limit is another guard
    user = UserFactory(email="grace@example.test")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    reset = reverse("accounts:password_reset")
    for _ in range(2):
        assert attacker.post(reset, {"email": "Grace@Example.test"}).status_code == 302
    locked = attacker.post(reset, {"email": "grace@example.test"})
    assert locked.status_code == 429 and "asked for too often from here" in locked.content.decode()
    assert OutboxMessage.objects.filter(template="password_reset", to=user.email).count() == 2
    # The owner, elsewhere, still gets one; an unknown address locks the same way (nothing told apart).
    assert Client(REMOTE_ADDR=OWNER).post(reset, {"email": user.email}).status_code == 302
    assert OutboxMessage.objects.filter(template="password_reset", to=user.email).count() == 3
    for _ in range(2):
        attacker.post(reset, {"email": "nobody@example.test"})
    assert attacker.post(reset, {"email": "nobody@example.test"}).status_code == 429


def test_wrong_second_factor_codes_lock_the_two_step_page_and_the_api_from_that_address():
    staff = StaffFactory()
    device = authenticator_for(staff)
    attacker = Client(REMOTE_ADDR=ATTACKER)
    assert attacker.post(reverse("accounts:login"), {"username": staff.email, "password": PASSWORD}).status_code == 302
    verify = reverse("accounts:two_factor_verify")
    for _ in range(2):
        assert attacker.post(verify, {"code": "000000"}).status_code == 200  # "not right"
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # past django-otp's pause
    locked = attacker.post(verify, {"code": "000000"})
    assert locked.status_code == 429 and "after several wrong codes" in locked.content.decode()
    assert attacker.post(verify, {"code": authenticator_code(device)}).status_code == 429  # the right one too
    refused = Client(REMOTE_ADDR=ATTACKER).post(
        reverse("api:token"),
        {"email": staff.email, "password": PASSWORD, "otp": authenticator_code(device)},
        content_type="application/json",
    )
    assert refused.status_code == 429 and refused.json()["code"] == "locked_out"
    assert "wrong codes" in refused.json()["detail"]
    assert AccessAttempt.objects.filter(username=f"two-step:{staff.email}").exists()
    # The owner, elsewhere, signs in with a code (once django-otp's own pause, which is per
    # device and doubles with each wrong code, has passed).
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    owner = Client(REMOTE_ADDR=OWNER)
    owner.post(reverse("accounts:login"), {"username": staff.email, "password": PASSWORD})
    assert owner.post(verify, {"code": authenticator_code(device)}).status_code == 302
