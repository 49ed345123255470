"""Request budgets (api/throttling.py), counted in Redis: per signed-in user, per client
address, and a tighter one per address on the auth endpoints. Past a budget: 429 `throttled`
with Retry-After. The rates are settings, lowered here; conftest gives each test a fresh key
prefix, so counts never leak between tests."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

AIRPORTS = "/api/v1/airports"
ME = "/api/v1/me"
TOKEN = "/api/v1/auth/token"
SIGNUP = "/api/v1/auth/signup"
REFRESH = "/api/v1/auth/token/refresh"


def client_from(address: str, user=None) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "throttled"
    assert body["status"] == 429
    assert body["request_id"] == response["X-Request-ID"]
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60


@pytest.fixture
def high_budgets(settings):
    """Generous budgets, so each test lowers only the one it is about. The clock stands still
    20 s into a minute: a budget is counted per fixed window (a minute here), and a test
    must not straddle two."""
    settings.API_RATE_USER = "1000/min"
    settings.API_RATE_ADDRESS = "1000/min"
    settings.API_RATE_AUTH = "1000/min"
    with time_machine.travel(datetime.now(UTC).replace(second=20, microsecond=0), tick=False):
        yield settings


# Per client address --------------------------------------------------------------------------


def test_address_budget_gives_429_with_retry_after_past_the_rate(high_budgets):
    high_budgets.API_RATE_ADDRESS = "3/min"
    client = client_from("203.0.113.7")

    statuses = [client.get(AIRPORTS, {"q": "lon"}).status_code for _ in range(3)]
    fourth = client.get(AIRPORTS, {"q": "lon"})

    assert statuses == [200, 200, 200]
    assert_throttled(fourth)


def test_address_budget_is_per_address(high_budgets):
    high_budgets.API_RATE_ADDRESS = "2/min"
    busy = client_from("203.0.113.7")
    for _ in range(2):
        assert busy.get(AIRPORTS, {"q": "lon"}).status_code == 200
    assert_throttled(busy.get(AIRPORTS, {"q": "lon"}))

    assert client_from("198.51.100.20").get(AIRPORTS, {"q": "lon"}).status_code == 200


def test_address_budget_counts_signed_in_users_on_one_address_together(high_budgets):
    high_budgets.API_RATE_ADDRESS = "2/min"
    first, second = UserFactory(), UserFactory()

    assert client_from("203.0.113.7", first).get(ME).status_code == 200
    assert client_from("203.0.113.7", second).get(ME).status_code == 200

    assert_throttled(client_from("203.0.113.7", UserFactory()).get(ME))


def test_budget_is_counted_in_the_shared_cache_not_per_client_object(high_budgets):
    # Every request below comes through a new client, as requests reaching separate web workers do.
    high_budgets.API_RATE_ADDRESS = "2/min"

    for _ in range(2):
        assert client_from("203.0.113.7").get(AIRPORTS, {"q": "lon"}).status_code == 200

    assert_throttled(client_from("203.0.113.7").get(AIRPORTS, {"q": "lon"}))


# Per user ------------------------------------------------------------------------------------


def test_user_budget_gives_429_whatever_the_address(high_budgets):
    high_budgets.API_RATE_USER = "3/min"
    user = UserFactory()

    statuses = [client_from(f"203.0.113.{index}", user).get(ME).status_code for index in range(1, 4)]
    fourth = client_from("203.0.113.99", user).get(ME)

    assert statuses == [200, 200, 200]
    assert_throttled(fourth)


def test_user_budget_is_per_user(high_budgets):
    high_budgets.API_RATE_USER = "2/min"
    busy, other = UserFactory(), UserFactory()
    for _ in range(2):
        assert client_from("203.0.113.7", busy).get(ME).status_code == 200
    assert_throttled(client_from("203.0.113.7", busy).get(ME))

    assert client_from("203.0.113.7", other).get(ME).status_code == 200


def test_user_budget_does_not_count_anonymous_requests(high_budgets):
    high_budgets.API_RATE_USER = "1/min"

    statuses = [client_from("203.0.113.7").get(AIRPORTS, {"q": "lon"}).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


# Auth endpoints ------------------------------------------------------------------------------


def test_auth_budget_applies_to_token_per_address_even_for_good_credentials(high_budgets):
    high_budgets.API_RATE_AUTH = "3/min"
    user = UserFactory()
    guesser = client_from("203.0.113.7")

    statuses = [
        guesser.post(TOKEN, {"email": user.email, "password": "guess"}, format="json").status_code for _ in range(3)
    ]
    fourth = guesser.post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert statuses == [401, 401, 401]
    assert_throttled(fourth)
    assert "access" not in fourth.json()


def test_auth_budget_leaves_other_addresses_alone(high_budgets):
    high_budgets.API_RATE_AUTH = "2/min"
    user = UserFactory()
    guesser = client_from("203.0.113.7")
    for _ in range(2):
        guesser.post(TOKEN, {"email": user.email, "password": "guess"}, format="json")
    assert_throttled(guesser.post(TOKEN, {"email": user.email, "password": "guess"}, format="json"))

    response = client_from("198.51.100.20").post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content


def test_auth_budget_is_separate_from_the_general_address_budget(high_budgets):
    high_budgets.API_RATE_AUTH = "2/min"
    client = client_from("203.0.113.7")
    for _ in range(2):
        client.post(TOKEN, {"email": "x@example.test", "password": "guess"}, format="json")
    assert_throttled(client.post(TOKEN, {"email": "x@example.test", "password": "guess"}, format="json"))

    # The general budget of the same address is not spent by the auth endpoints' refusals.
    assert client.get(AIRPORTS, {"q": "lon"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (SIGNUP, {"email": "new@example.test", "password": "short", "first_name": "A", "last_name": "B"}),
        (REFRESH, {"refresh": "not-a-token"}),
    ],
    ids=["signup", "refresh"],
)
def test_auth_budget_applies_to_signup_and_refresh(high_budgets, path, body):
    high_budgets.API_RATE_AUTH = "2/min"
    client = client_from("203.0.113.7")

    statuses = [client.post(path, body, format="json").status_code for _ in range(2)]
    third = client.post(path, body, format="json")

    assert all(status in (400, 401) for status in statuses), statuses
    assert_throttled(third)


def test_auth_budget_behind_a_proxy_counts_the_header_it_names(high_budgets):
    high_budgets.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    high_budgets.API_RATE_AUTH = "2/min"
    proxy = client_from("10.0.0.1")

    for _ in range(2):
        proxy.post(TOKEN, {"email": "x@example.test", "password": "guess"}, format="json", HTTP_X_REAL_IP="203.0.113.7")
    assert_throttled(
        proxy.post(TOKEN, {"email": "x@example.test", "password": "guess"}, format="json", HTTP_X_REAL_IP="203.0.113.7")
    )

    other = proxy.post(
        TOKEN, {"email": "x@example.test", "password": "guess"}, format="json", HTTP_X_REAL_IP="198.51.100.2"
    )
    assert other.status_code == 401


def test_a_spent_budget_comes_back_with_the_next_window(high_budgets):
    high_budgets.API_RATE_ADDRESS = "2/min"
    client = client_from("203.0.113.9")
    assert [client.get(AIRPORTS).status_code for _ in range(2)] == [200, 200]
    refused = client.get(AIRPORTS)
    assert_throttled(refused)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=int(refused["Retry-After"])), tick=False):
        assert client.get(AIRPORTS).status_code == 200
