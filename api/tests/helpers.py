"""What the API tests share: a signed-in client, a POST with an Idempotency-Key, the problem check."""

import uuid

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from api.views.auth import token_pair

PROBLEM = "application/problem+json"
GOOD_CARD = {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "holder": "Ada Lovelace"}


def bearer_client(user=None, *, token: str | None = None, second_factor: bool | None = None, **defaults) -> APIClient:
    """A client with a fresh access token for `user` (anonymous for None), or with `token` as it
    is (any string: a refresh token, a forged one). Staff get a token issued with a second
    factor unless `second_factor=False`. `defaults` go to APIClient (REMOTE_ADDR=...)."""
    client = APIClient(**defaults)
    if token is None and user is not None:
        verified = user.is_staff if second_factor is None else second_factor
        token = token_pair(user, second_factor=verified)["access"]
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def verified_staff_client(user) -> APIClient:
    """A client forced in as `user` with the claims of a token issued for password and code,
    as staff calls need (no query for the token, as with force_authenticate alone)."""
    client = APIClient()
    client.force_authenticate(user, token=AccessToken(token_pair(user, second_factor=True)["access"]))
    return client


def post(client: APIClient, url: str, data=None, *, key: str | None = None):
    """A JSON POST with its own Idempotency-Key (or the one given, for a retry)."""
    return client.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def assert_problem(response, status: int, code: str, *, path: str | None = None) -> dict:
    """A problem+json answer with this status and code (and, given `path`, this `instance`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code and body["status"] == status
    if path is not None:
        assert body["instance"] == path
    return body
