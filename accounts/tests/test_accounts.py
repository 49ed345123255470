import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.services import admin_ensure
from accounts.tests.factories import PASSWORD, UserFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_signup_creates_passenger_logs_in_and_queues_welcome(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signup"),
            {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "Ada@Example.test",
                "password1": "analytical-engine-1843",
                "password2": "analytical-engine-1843",
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.test")
    assert not user.is_staff
    assert client.get(reverse("bookings:list")).status_code == 200
    assert OutboxMessage.objects.get(template="welcome").to == "ada@example.test"
    assert mail.outbox[0].subject.startswith("Welcome")


def test_login_by_email_is_case_insensitive(client):
    user = UserFactory(email="grace@example.test")
    response = client.post(reverse("accounts:login"), {"username": "GRACE@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_wrong_password_shows_message(client):
    UserFactory(email="grace@example.test")
    response = client.post(reverse("accounts:login"), {"username": "grace@example.test", "password": "nope"})
    assert response.status_code == 200
    assert "correct e-mail address and password" in response.content.decode()


def test_logout_needs_post(client):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_goes_through_outbox_and_link_works(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="reset@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "reset@example.test"})
    assert OutboxMessage.objects.filter(template="password_reset", to=user.email).exists()
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-secret-77", "new_password2": "brand-new-secret-77"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-77")


def test_password_reset_for_unknown_address_reveals_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"}, follow=True)
    assert response.status_code == 200
    assert not OutboxMessage.objects.exists()


def test_change_password(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-secret-9", "new_password2": "another-long-secret-9"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-secret-9")


def test_admin_ensure_creates_first_superuser_only_once():
    User.objects.filter(is_superuser=True).delete()
    admin = admin_ensure(email="boss@example.test", password="chosen-password-1", verbosity=0)
    assert admin.is_superuser and admin.is_staff and admin.check_password("chosen-password-1")
    assert admin_ensure(email="other@example.test", password="x", verbosity=0) is None
    assert User.objects.filter(is_superuser=True).count() == 1


def test_admin_ensure_generates_and_prints_password_when_none_given(capsys):
    User.objects.filter(is_superuser=True).delete()
    admin = admin_ensure(email="boss@example.test", password="", verbosity=1)
    printed = capsys.readouterr().out
    password = re.search(r"password: (\S+)", printed).group(1)
    assert admin.check_password(password)


def test_migrate_creates_admin_from_settings(settings):
    settings.ADMIN_EMAIL, settings.ADMIN_PASSWORD = "ops@example.test", "ops-password-2026"
    User.objects.filter(is_superuser=True).delete()
    call_command("migrate", verbosity=0)
    admin = User.objects.get(is_superuser=True)
    assert admin.email == "ops@example.test" and admin.check_password("ops-password-2026")


def test_migrate_in_production_without_admin_settings_creates_nobody(settings):
    settings.DEBUG, settings.ADMIN_EMAIL, settings.ADMIN_PASSWORD = False, "", ""
    User.objects.filter(is_superuser=True).delete()
    call_command("migrate", verbosity=0)
    assert not User.objects.filter(is_superuser=True).exists()


def test_migrate_creates_the_operations_group_with_schedule_and_read_permissions():
    from django.contrib.auth.models import Group

    call_command("migrate", verbosity=0)
    codenames = set(Group.objects.get(name="Airline operations").permissions.values_list("codename", flat=True))
    assert {"add_flight", "change_flight", "view_booking", "view_outboxmessage", "view_user"} <= codenames
    assert "change_booking" not in codenames and "change_user" not in codenames
