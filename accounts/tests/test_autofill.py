"""The account forms say what each name and address field is (WCAG 1.3.5, `autocomplete`), and
every account may choose the zone of the times that belong to no airport."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]


def test_the_signup_form_labels_names_email_and_new_password_for_autofill(client):
    page = client.get(reverse("accounts:signup")).content.decode()
    assert 'autocomplete="given-name"' in _input(page, "first_name")
    assert 'autocomplete="family-name"' in _input(page, "last_name")
    assert 'autocomplete="email"' in _input(page, "email")
    assert 'autocomplete="new-password"' in _input(page, "password1")
    assert 'autocomplete="new-password"' in _input(page, "password2")


def test_the_profile_form_labels_the_names_for_autofill(client):
    client.force_login(UserFactory())
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'autocomplete="given-name"' in _input(page, "first_name")
    assert 'autocomplete="family-name"' in _input(page, "last_name")


def test_the_login_form_labels_the_email_for_autofill(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'autocomplete="email"' in _input(page, "username")


def test_a_passenger_chooses_their_time_zone_in_the_profile_and_a_bad_one_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Your time zone" in page and '<option value="" selected>Automatic</option>' in page
    form = {"first_name": "Ada", "last_name": "Lovelace", "time_zone": "America/New_York"}
    assert client.post(reverse("accounts:profile"), form).status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"
    response = client.post(reverse("accounts:profile"), {**form, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"
