"""Redirect targets taken from requests, and the password reset limit (issue 11)."""

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

# `next` values that are not a path on this site: words Django's redirect() would try as view
# names, numbers, markup, other hosts and schemes, control characters.
NOT_LOCAL = [
    "foo",
    "123",
    "flights:search",
    "<script>alert(1)</script>",
    '"><img src=x>',
    "//evil.example/x",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/bookings/\x00",
    "/bookings/\r\nSet-Cookie: x=1",
    " /bookings/",
]


def _signup(client, email: str, **extra):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email,
        "password1": "analytical-engine-1843",
        "password2": "analytical-engine-1843",
        **extra,
    }
    return client.post(reverse("accounts:signup"), data)


@pytest.mark.parametrize("next_url", NOT_LOCAL)
def test_signup_with_a_next_that_is_not_a_local_path_goes_to_the_search_page(client, next_url):
    response = _signup(client, "ada@example.test", next=next_url)
    assert response.status_code == 302
    assert response.url == reverse("flights:search")
    assert User.objects.filter(email="ada@example.test").exists()


@pytest.mark.parametrize("next_url", NOT_LOCAL)
def test_signup_page_with_a_bad_next_renders_without_it(client, next_url):
    response = client.get(reverse("accounts:signup"), {"next": next_url})
    assert response.status_code == 200
    assert b'name="next" value=""' in response.content


def test_signup_with_a_local_next_goes_there(client):
    response = _signup(client, "ada@example.test", next="/bookings/?tab=past")
    assert response.status_code == 302
    assert response.url == "/bookings/?tab=past"


@pytest.mark.parametrize(
    "next_url",
    ["/accounts/login/", "/accounts/login/?next=/accounts/login/", "/accounts/login/#top", *NOT_LOCAL],
)
def test_signed_in_visitor_sent_back_to_the_login_page_lands_on_search_not_in_a_loop(client, next_url):
    client.force_login(UserFactory())
    response = client.get(reverse("accounts:login"), {"next": next_url})
    assert response.status_code == 302
    assert response.url == reverse("flights:search")


@pytest.mark.parametrize("next_url", NOT_LOCAL)
def test_login_with_a_bad_next_goes_to_the_search_page(client, next_url):
    user = UserFactory()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response.url == reverse("flights:search")


def test_login_with_a_local_next_goes_there(client):
    user = UserFactory()
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD, "next": "/bookings/"}
    )
    assert response.url == "/bookings/"


# Password reset: limited per address and per client, silently.


def _reset(client, email: str, ip: str = "203.0.113.7"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_fifty_reset_requests_for_one_address_send_only_the_first_few(client, settings):
    settings.PASSWORD_RESET_RATE_ADDRESS = "3/h"
    settings.PASSWORD_RESET_RATE_IP = "1000/h"
    user = UserFactory(email="grace@example.test")
    responses = [_reset(client, "Grace@Example.test", ip=f"198.51.100.{n}") for n in range(50)]
    assert {(r.status_code, r.url) for r in responses} == {(302, reverse("accounts:password_reset_done"))}
    assert OutboxMessage.objects.filter(template="password_reset", to=user.email).count() == 3


def test_reset_requests_from_one_client_are_limited_across_addresses(client, settings):
    settings.PASSWORD_RESET_RATE_ADDRESS = "100/h"
    settings.PASSWORD_RESET_RATE_IP = "5/h"
    users = UserFactory.create_batch(8)
    for user in users:
        assert _reset(client, user.email).status_code == 302
    assert OutboxMessage.objects.filter(template="password_reset").count() == 5
    # Another client is not affected.
    _reset(client, users[-1].email, ip="192.0.2.55")
    assert OutboxMessage.objects.filter(template="password_reset").count() == 6


def test_limited_reset_reads_exactly_like_an_unknown_address(client, settings):
    settings.PASSWORD_RESET_RATE_ADDRESS = "1/h"
    user = UserFactory()
    _reset(client, user.email)
    limited = _reset(client, user.email)
    unknown = _reset(client, "nobody@example.test")
    assert (limited.status_code, limited.url) == (unknown.status_code, unknown.url)
    assert client.get(limited.url).content == client.get(unknown.url).content
    assert OutboxMessage.objects.filter(template="password_reset").count() == 1


def test_reset_e_mail_is_sent_while_the_rate_limit_store_is_down(client, settings):
    """Without the counters a reset goes through: it is how a locked-out passenger gets back in."""
    user = UserFactory()
    settings.CACHES = {
        alias: {**cache, "LOCATION": "redis://127.0.0.1:9/0"} for alias, cache in settings.CACHES.items()
    }
    assert _reset(client, user.email).status_code == 302
    assert OutboxMessage.objects.filter(template="password_reset", to=user.email).count() == 1
