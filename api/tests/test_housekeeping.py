"""Housekeeping and edges: stored retries and quotes do not pile up, a password change ends old
tokens, an oversized body is a problem response."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from api.models import CancellationQuote, IdempotencyKey
from api.tasks import api_housekeeping
from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db


def test_housekeeping_deletes_old_idempotency_keys_and_stale_quotes_and_keeps_the_rest(settings):
    user = UserFactory()
    booking = make_booking(user=user)
    now = timezone.now()
    old = IdempotencyKey.objects.create(
        user=user, key="old", fingerprint="x", started_at=now - timedelta(hours=settings.API_IDEMPOTENCY_HOURS + 1)
    )
    fresh = IdempotencyKey.objects.create(user=user, key="fresh", fingerprint="x", started_at=now)
    quotes = {
        name: CancellationQuote.objects.create(
            booking=booking, ticket_ids=[1], refund_total=0, expires_at=now, status=status
        )
        for name, status in (("stale", "quoted"), ("recent", "quoted"), ("confirmed", "confirmed"))
    }
    CancellationQuote.objects.filter(pk__in=[quotes["stale"].pk, quotes["confirmed"].pk]).update(
        created_at=now - timedelta(days=2)
    )

    assert api_housekeeping.delay().get() == {"idempotency_keys": 1, "quotes": 1}

    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()
    assert IdempotencyKey.objects.filter(pk=fresh.pk).exists()
    assert set(CancellationQuote.objects.values_list("pk", flat=True)) == {quotes["recent"].pk, quotes["confirmed"].pk}
    assert api_housekeeping.delay().get() == {"idempotency_keys": 0, "quotes": 0}


def test_a_password_change_ends_the_access_tokens_issued_before_it():
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    assert client.get("/api/v1/me").status_code == 200

    user.set_password("a brand new passphrase 42")
    user.save()

    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_an_oversized_json_body_is_a_problem_response_not_a_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    user = UserFactory()
    client.force_login(user)
    response = client.patch("/api/v1/me", data='{"first_name": "' + "x" * 5000 + '"}', content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "request_too_large"
