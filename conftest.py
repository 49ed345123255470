"""Shared test set-up: real PostgreSQL and Redis (URLs from the environment), eager Celery."""

import uuid

import pytest

from booking_site.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_inline():
    # Tasks run in-process after commit, so a test sees the outbox sent without a worker.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    settings.SITE_URL = "http://testserver"
    # Real Redis, a fresh key space per test (every cache alias): no test sees another's cached
    # pages or rate-limit counters.
    prefix = f"skyway-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {alias: {**config, "KEY_PREFIX": prefix} for alias, config in settings.CACHES.items()}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(name="verified_login")
def _verified_login():
    """accounts.tests.factories.verified_login, for tests below accounts in the layers
    (notifications'), which may not import it."""
    from accounts.tests.factories import verified_login

    return verified_login
