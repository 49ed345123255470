"""Two-step sign-in (issue 14): enrol an authenticator app (confirmed only by a code it made),
get ten recovery codes once, verify a session with a code or a recovery code (used up), and a
verified session gets a new key."""

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def enrol(client) -> list[str]:
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(confirmed=False)
    done = client.post(reverse("accounts:two_factor_setup"), {"code": code_for(device)})
    assert done.status_code == 200
    return re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())


def test_enrolling_needs_a_code_from_the_new_authenticator(staff_client):
    staff_client.get(reverse("accounts:two_factor_setup"))
    response = staff_client.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_enrolling_shows_ten_recovery_codes_once_and_verifies_the_session(staff_client):
    codes = enrol(staff_client)
    assert len(codes) == 10 and StaticToken.objects.count() == 10
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1
    assert staff_client.session.get("otp_device_id")


def test_a_new_session_verifies_with_a_code_and_gets_a_new_key(client):
    staff = StaffFactory()
    client.force_login(staff)
    enrol(client)
    client.logout()
    client.force_login(staff)
    before = client.session.session_key
    assert not client.session.get("otp_device_id")
    wrong = client.post(reverse("accounts:two_factor_verify"), {"code": "123456"})
    assert "not right" in wrong.content.decode()

    device = TOTPDevice.objects.get(user=staff)
    device.refresh_from_db()
    device.last_t = -1  # the enrolment used this time step's code: let the test use it again
    device.throttling_failure_count = 0
    device.save()
    response = client.post(reverse("accounts:two_factor_verify"), {"code": code_for(device), "next": "/staff/"})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.session.get("otp_device_id") and client.session.session_key != before


def test_a_recovery_code_works_once(client):
    staff = StaffFactory()
    client.force_login(staff)
    codes = enrol(client)
    for expected in (302, 200):
        client.logout()
        client.force_login(staff)
        response = client.post(reverse("accounts:two_factor_verify"), {"code": codes[0]})
        assert response.status_code == expected
    assert StaticToken.objects.count() == 9


def test_without_a_second_factor_verify_sends_to_setup(staff_client):
    assert staff_client.get(reverse("accounts:two_factor_verify"))["Location"] == reverse("accounts:two_factor_setup")
