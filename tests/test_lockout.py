"""Password guessing is stopped on every way in (ASVS 6.3.1, issue 14): after
LOGIN_FAILURE_LIMIT wrong passwords for one account from one address, that pair is locked
(429 with Retry-After) on the site's login, django-admin's login and the API's token endpoint,
even for the right password; the owner at another address is not locked out; a success resets
the count."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory

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
