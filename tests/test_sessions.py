"""Sessions (ASVS 7, issue 14): a new session key at login, a password change ends the other
sessions but keeps this one, and staff sessions end when idle and after a working day."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator_code, authenticator_for

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    """Signed in through the login form; staff also through the two-step page."""
    client = Client()
    assert client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD}).status_code == 302
    if user.is_staff:
        code = authenticator_code(authenticator_for(user))
        assert client.post(reverse("accounts:two_factor_verify"), {"code": code}).status_code == 302
    return client


def test_logging_in_gives_a_new_session_key():
    user = UserFactory()
    client = Client()
    client.get(reverse("accounts:login"))
    client.session["probe"] = 1  # an anonymous session exists before
    before = client.session.session_key
    client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert client.session.session_key != before
    assert "_auth_user_id" in client.session


def test_a_password_change_signs_out_the_other_sessions_and_keeps_this_one():
    user = UserFactory()
    here, elsewhere = logged_in(user), logged_in(user)
    response = here.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase 77",
            "new_password2": "a new long passphrase 77",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302  # to the login page


def test_a_staff_session_ends_after_the_idle_time():
    client = logged_in(StaffFactory())
    assert client.get(reverse("staff:schedule")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert client.get(reverse("staff:schedule")).status_code == 302
        assert "_auth_user_id" not in client.session


def test_a_busy_staff_session_still_ends_after_its_hours():
    client = logged_in(StaffFactory())
    start = timezone.now()
    for minutes in range(20, 10 * 60, 20):  # a request every 20 minutes: never idle
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get(reverse("staff:schedule")).status_code == 200
    with time_machine.travel(start + timedelta(hours=10, minutes=1)):
        assert client.get(reverse("staff:schedule")).status_code == 302


def test_a_passengers_session_is_not_cut_short():
    client = logged_in(UserFactory())
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert client.get(reverse("accounts:profile")).status_code == 200
