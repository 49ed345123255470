"""The second factor enforced (issue 14, ASVS 6.3.3 / 6.5): staff cannot use staff pages,
django-admin or staff API calls without showing it this session (or in the token); an account
that has one, staff or a passenger who opted in, is not signed in by the password alone; the
password alone cannot swap the authenticator; a code works once even when sent twice at once."""

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.tests.factories import (
    PASSWORD,
    StaffFactory,
    UserFactory,
    authenticator_code,
    authenticator_for,
    verified_login,
)

pytestmark = pytest.mark.django_db


def password_login(client: Client, user) -> None:
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


def to_two_step(response, next_path: str) -> bool:
    """A redirect to the two-step page that comes back to `next_path` afterwards."""
    if response.status_code != 302:
        return False
    url = urlsplit(response.url)
    return url.path == reverse("accounts:two_factor_verify") and parse_qs(url.query)["next"] == [next_path]


# --- the site ---------------------------------------------------------------------------------


def test_staff_without_a_second_factor_are_led_to_set_one_up_and_back(client):
    staff = StaffFactory()
    password_login(client, staff)
    schedule = reverse("staff:schedule")
    response = client.get(schedule)
    assert to_two_step(response, schedule)
    setup = client.get(response.url)
    assert (
        setup.status_code == 302 and setup.url == f"{reverse('accounts:two_factor_setup')}?next=%2Fstaff%2Fflights%2F"
    )
    page = client.get(setup.url)
    assert "Staff accounts need two-step sign-in" in page.content.decode()

    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post(setup.url, {"code": authenticator_code(device), "next": schedule})
    assert f'href="{schedule}"' in done.content.decode()  # "continue" goes back where they were going
    assert client.get(schedule).status_code == 200


def test_staff_with_a_second_factor_show_it_before_any_page(client):
    staff = StaffFactory()
    device = authenticator_for(staff)
    password_login(client, staff)
    # Not only staff pages: the password alone does not sign this account in anywhere.
    for path in (reverse("flights:search"), reverse("bookings:list"), reverse("staff:schedule")):
        assert to_two_step(client.get(path), path)
    response = client.post(
        reverse("accounts:two_factor_verify"), {"code": authenticator_code(device), "next": "/staff/"}
    )
    assert response.status_code == 302 and response.url == "/staff/"
    assert client.get(reverse("staff:schedule")).status_code == 200


def test_a_passenger_who_turned_it_on_is_asked_at_every_login(client):
    passenger = UserFactory()
    device = authenticator_for(passenger)
    password_login(client, passenger)
    bookings = reverse("bookings:list")
    assert to_two_step(client.get(bookings), bookings)
    # Logging out and the two-step page itself stay open.
    assert client.get(reverse("accounts:two_factor_verify")).status_code == 200
    client.post(reverse("accounts:two_factor_verify"), {"code": authenticator_code(device)})
    assert client.get(bookings).status_code == 200


def test_a_passenger_without_it_is_not_asked(client):
    passenger = UserFactory()
    password_login(client, passenger)
    assert client.get(reverse("bookings:list")).status_code == 200


def test_logging_out_works_while_the_code_is_owed(client):
    staff = StaffFactory()
    authenticator_for(staff)
    password_login(client, staff)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_password_alone_cannot_replace_the_authenticator(client):
    """Someone with the password only must not swap in their own phone."""
    passenger = UserFactory()
    device = authenticator_for(passenger)
    password_login(client, passenger)
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor_verify"))
    client.post(reverse("accounts:two_factor_setup"), {"code": "123456"})
    assert list(TOTPDevice.objects.filter(user=passenger)) == [device]


def test_a_verified_session_may_replace_its_authenticator(client):
    staff = StaffFactory()
    old = authenticator_for(staff)
    verified_login(client, staff)
    client.get(reverse("accounts:two_factor_setup"))
    new = TOTPDevice.objects.get(user=staff, confirmed=False)
    client.post(reverse("accounts:two_factor_setup"), {"code": authenticator_code(new)})
    assert list(TOTPDevice.objects.filter(user=staff)) == [new] and not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_deleting_a_device_ends_its_sessions_verification(client):
    """An admin resets a lost phone: the sessions verified with it lose staff rights at once."""
    staff = StaffFactory()
    verified_login(client, staff)
    assert client.get(reverse("staff:schedule")).status_code == 200
    TOTPDevice.objects.filter(user=staff).delete()
    assert to_two_step(client.get(reverse("staff:schedule")), reverse("staff:schedule"))


def test_a_staff_member_who_is_not_verified_is_turned_back_at_the_admin(client):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    authenticator_for(staff)  # set up elsewhere since: this session owes nothing, and is not verified
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    login = client.get(response.url)
    assert login.status_code == 302 and login.url.startswith(reverse("accounts:two_factor_verify") + "?next=")
    assert client.get(reverse("admin:flights_flight_changelist")).status_code == 302


def test_the_admin_login_leads_through_the_two_step_page(client):
    staff = StaffFactory(is_superuser=True)
    device = authenticator_for(staff)
    response = client.post(
        reverse("admin:login") + "?next=/admin/", {"username": staff.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response.url == "/admin/"
    assert to_two_step(client.get("/admin/"), "/admin/")
    client.post(reverse("accounts:two_factor_verify"), {"code": authenticator_code(device)})
    assert client.get("/admin/").status_code == 200


def test_a_verified_staff_member_reaches_the_admin(client):
    verified_login(client, StaffFactory(is_superuser=True))
    assert client.get(reverse("admin:index")).status_code == 200


# --- the API ----------------------------------------------------------------------------------


def token(email: str, password: str = PASSWORD, **more):
    return APIClient().post(reverse("api:token"), {"email": email, "password": password, **more}, format="json")


def test_an_account_with_a_second_factor_gets_no_token_for_the_password_alone():
    staff = StaffFactory()
    device = authenticator_for(staff)
    refused = token(staff.email)
    assert refused.status_code == 401 and refused.json()["code"] == "otp_required"
    wrong = token(staff.email, otp="000000")
    assert wrong.status_code == 401 and wrong.json()["code"] == "authentication_failed"
    assert "code is not right" in wrong.json()["detail"]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # django-otp's pause after a miss
    assert token(staff.email, otp=authenticator_code(device)).status_code == 200


def test_staff_calls_need_a_token_issued_with_the_code():
    staff = StaffFactory()
    schedule = reverse("api:schedule")
    password_only = token(staff.email).json()["access"]  # no device yet: a token, but no staff rights
    refused = APIClient(HTTP_AUTHORIZATION=f"Bearer {password_only}").get(schedule)
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_required"
    assert "two-step" in refused.json()["detail"]
    # Passenger calls still work with it.
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {password_only}").get(reverse("api:bookings")).status_code == 200

    pair = token(staff.email, otp=authenticator_code(authenticator_for(staff))).json()
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {pair['access']}").get(schedule).status_code == 200
    # A refreshed pair keeps what the sign-in showed.
    refreshed = APIClient().post(reverse("api:token_refresh"), {"refresh": pair["refresh"]}, format="json").json()
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {refreshed['access']}").get(schedule).status_code == 200


def test_the_api_takes_a_session_only_once_its_second_factor_is_shown(client):
    staff = StaffFactory()
    device = authenticator_for(staff)
    password_login(client, staff)
    me = reverse("api:me")
    assert client.get(me).status_code == 401  # the password alone: not signed in to the API either
    client.post(reverse("accounts:two_factor_verify"), {"code": authenticator_code(device)})
    assert client.get(me).status_code == 200
    assert client.get(reverse("api:schedule")).status_code == 200


def test_a_staff_session_without_the_code_is_refused_staff_calls(client):
    client.force_login(StaffFactory())
    refused = client.get(reverse("api:schedule"))
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_required"


# --- one code, one use --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_recovery_code_sent_twice_at_once_works_once():
    """Two sign-ins race with the same recovery code (real threads, real PostgreSQL): the
    device row lock lets exactly one through."""
    user = UserFactory()
    device = StaticDevice.objects.create(user=user, name=two_factor.RECOVERY, confirmed=True)
    StaticToken.objects.create(device=device, token="abcd1234")
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def attempt():
        try:
            barrier.wait(timeout=10)
            results.append(two_factor.matching_device(user, "abcd1234") is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert not StaticToken.objects.filter(device=device).exists()


def test_an_app_code_cannot_be_replayed():
    user = UserFactory()
    device = authenticator_for(user)
    code = authenticator_code(device)
    assert two_factor.matching_device(user, code) is not None
    assert two_factor.matching_device(user, code) is None


# --- turning it off -----------------------------------------------------------------------------


def test_a_passenger_turns_it_off_from_a_verified_session(client):
    passenger = UserFactory()
    verified_login(client, passenger)
    assert "Turn off" in client.get(reverse("accounts:profile")).content.decode()
    response = client.post(reverse("accounts:two_factor_off"), follow=True)
    assert "Two-step sign-in is off" in response.content.decode()
    assert not two_factor.has_second_factor(passenger)
    client.logout()
    password_login(client, passenger)
    assert client.get(reverse("bookings:list")).status_code == 200  # no code asked any more


def test_the_password_alone_cannot_turn_it_off(client):
    passenger = UserFactory()
    authenticator_for(passenger)
    password_login(client, passenger)
    response = client.post(reverse("accounts:two_factor_off"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:two_factor_verify"))
    assert two_factor.has_second_factor(passenger)


def test_staff_cannot_turn_it_off(client):
    staff = StaffFactory()
    verified_login(client, staff)
    assert "Turn off" not in client.get(reverse("accounts:profile")).content.decode()
    response = client.post(reverse("accounts:two_factor_off"), follow=True)
    assert "Staff accounts must keep two-step sign-in" in response.content.decode()
    assert two_factor.has_second_factor(staff)
