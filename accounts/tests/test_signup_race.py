"""Two sign-ups with one e-mail address at the same moment: one account, two friendly pages."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import user_signup
from notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "analytical-engine-1843"


def _post_signup(results: dict, password: str) -> None:
    client = Client()
    try:
        results["response"] = client.post(
            reverse("accounts:signup"),
            {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.test",
                "password1": password,
                "password2": password,
            },
        )
        results["signed_in"] = client.get(reverse("bookings:list")).status_code == 200
    except Exception as error:  # the test asserts on it
        results["error"] = error
    finally:
        connection.close()


def _signup_while_another_is_committing(password: str) -> dict:
    """The other sign-up has inserted its row but not committed: the form's check sees no
    account, and the insert waits on the unique index until the other commits. This is the
    double click, made deterministic."""
    results: dict = {}
    with transaction.atomic():
        user_signup(email="ada@example.test", password=PASSWORD, first_name="Ada", last_name="Lovelace")
        thread = threading.Thread(target=_post_signup, args=(results, password))
        thread.start()
        time.sleep(1.0)  # the thread's form check runs and its insert waits on our row
    thread.join(timeout=30)
    assert "error" not in results, results.get("error")
    return results


def test_same_person_signing_up_twice_at_once_is_signed_in_by_the_second_too():
    results = _signup_while_another_is_committing(PASSWORD)
    assert results["response"].status_code == 302
    assert results["response"].url == reverse("flights:search")
    assert results["signed_in"]
    assert User.objects.filter(email="ada@example.test").count() == 1
    assert OutboxMessage.objects.filter(template="welcome").count() == 1


def test_someone_else_signing_up_with_the_address_at_the_same_moment_reads_it_exists():
    results = _signup_while_another_is_committing("a-different-password-77")
    response = results["response"]
    assert response.status_code == 200
    assert "An account with this e-mail address already exists" in response.content.decode()
    assert not results["signed_in"]
    assert User.objects.filter(email="ada@example.test").count() == 1
    assert OutboxMessage.objects.filter(template="welcome").count() == 1
