"""Unsubscribing from the new-routes e-mail and the monthly report: a signed link per list,
GET asks, POST does; the profile preferences; and the middleware that remembers when a
passenger was last seen."""

from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.unsubscribe import REPORT, ROUTES, SALT, unsubscribe_read, unsubscribe_token

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return reverse("accounts:unsubscribe", args=[token])


def _opted_in(user: User) -> bool:
    return User.objects.values_list("email_new_routes", flat=True).get(pk=user.pk)


def _report_on(user: User) -> bool:
    return User.objects.values_list("email_monthly_report", flat=True).get(pk=user.pk)


def test_unsubscribe_get_only_asks_and_changes_nothing(client):
    user = UserFactory()
    response = client.get(_url(unsubscribe_token(user_id=user.pk)))
    assert response.status_code == 200
    page = response.content.decode()
    assert user.email in page and f"Unsubscribe {user.email}</button>" in page
    assert _opted_in(user) is True  # a link scanner opening the URL unsubscribes nobody


def test_unsubscribe_post_turns_the_preference_off_without_login():
    user = UserFactory()
    other = UserFactory()
    # A browser without a session, enforcing CSRF: the signed token is what authorises it.
    client = Client(enforce_csrf_checks=True)
    response = client.post(_url(unsubscribe_token(user_id=user.pk)))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert _opted_in(user) is False
    assert _opted_in(other) is True


def test_unsubscribe_one_click_post_from_a_mail_app_works(client):
    """RFC 8058: the mail app POSTs List-Unsubscribe=One-Click to the link, with no cookies."""
    user = UserFactory()
    response = Client(enforce_csrf_checks=True).post(
        _url(unsubscribe_token(user_id=user.pk)), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert _opted_in(user) is False


def test_unsubscribe_when_already_unsubscribed_says_so_and_changes_nothing(client):
    user = UserFactory(email_new_routes=False)
    url = _url(unsubscribe_token(user_id=user.pk))
    response = client.get(url)
    assert response.status_code == 200 and "already unsubscribed" in response.content.decode()
    response = client.post(url)
    assert response.status_code == 200 and "already unsubscribed" in response.content.decode()
    assert _opted_in(user) is False


def _tampered(token: str) -> str:
    value, _, signature = token.rpartition(":")
    return f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda user: _tampered(unsubscribe_token(user_id=user.pk)), id="tampered-signature"),
        # Someone else's id with the signature of this user's token.
        pytest.param(
            lambda user: (
                signing.dumps({"u": user.pk + 1}, salt=SALT).rpartition(":")[0]
                + ":"
                + unsubscribe_token(user_id=user.pk).rpartition(":")[2]
            ),
            id="swapped-user",
        ),
        pytest.param(lambda user: signing.dumps({"u": user.pk}, salt="another.purpose"), id="foreign-salt"),
        pytest.param(lambda user: signing.dumps({"u": user.pk}, key="not-our-secret", salt=SALT), id="foreign-key"),
        pytest.param(lambda user: signing.dumps({"user": user.pk}, salt=SALT), id="wrong-shape"),
        pytest.param(lambda user: signing.dumps({"u": "x' OR 1=1"}, salt=SALT), id="not-an-id"),
        pytest.param(lambda user: signing.dumps({"u": 10**30}, salt=SALT), id="id-out-of-range"),
        pytest.param(lambda user: signing.dumps({"u": user.pk + 1000}, salt=SALT), id="no-such-user"),
        pytest.param(lambda user: "garbage", id="garbage"),
        pytest.param(lambda user: unsubscribe_token(user_id=user.pk)[:-3], id="cut-short"),
        pytest.param(lambda user: signing.dumps({"u": user.pk, "l": "everything"}, salt=SALT), id="unknown-list"),
        pytest.param(lambda user: signing.dumps({"u": user.pk, "l": ["report"]}, salt=SALT), id="list-not-a-name"),
        pytest.param(lambda user: signing.dumps([user.pk, "report"], salt=SALT), id="not-an-object"),
        # The report's payload with the signature of the same user's new-routes token.
        pytest.param(
            lambda user: (
                unsubscribe_token(user_id=user.pk, email_list=REPORT).rpartition(":")[0]
                + ":"
                + unsubscribe_token(user_id=user.pk, email_list=ROUTES).rpartition(":")[2]
            ),
            id="swapped-list",
        ),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unsubscribe_with_a_bad_token_says_so_and_changes_nothing(client, make_token, method):
    user = UserFactory()
    UserFactory()  # user.pk + 1 exists: a swapped id must not unsubscribe them either
    response = getattr(client, method)(_url(make_token(user)))
    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    assert not User.objects.filter(email_new_routes=False).exists()
    assert not User.objects.filter(email_monthly_report=False).exists()


def test_unsubscribe_other_methods_are_refused(client):
    user = UserFactory()
    assert client.put(_url(unsubscribe_token(user_id=user.pk))).status_code == 405
    assert _opted_in(user) is True


def test_profile_shows_and_saves_the_new_routes_preference(client):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "E-mail me about new routes" in page and 'name="email_new_routes"' in page and "checked" in page
    # An unticked box is absent from the POST.
    response = client.post(reverse("accounts:profile"), {"first_name": "Ada", "last_name": "Lovelace"})
    assert response.status_code == 302
    assert _opted_in(user) is False
    client.post(reverse("accounts:profile"), {"first_name": "Ada", "last_name": "Lovelace", "email_new_routes": "on"})
    assert _opted_in(user) is True


def test_new_passengers_get_route_emails_by_default():
    assert UserFactory().email_new_routes is True


# One link per list: the new-routes e-mail and the monthly report.


def test_report_unsubscribe_get_says_the_monthly_summary_stops_and_changes_nothing(client):
    user = UserFactory()
    response = client.get(_url(unsubscribe_token(user_id=user.pk, email_list=REPORT)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop the monthly summary of your trips" in page and "new routes" not in page
    assert f"Unsubscribe {user.email}</button>" in page
    assert _report_on(user) is True and _opted_in(user) is True


def test_report_unsubscribe_post_turns_off_the_report_only():
    user = UserFactory()
    other = UserFactory()
    response = Client(enforce_csrf_checks=True).post(
        _url(unsubscribe_token(user_id=user.pk, email_list=REPORT)), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert "We will send no more monthly summaries of your trips" in response.content.decode()
    assert _report_on(user) is False
    assert _opted_in(user) is True  # the new-routes e-mail is another list
    assert _report_on(other) is True


def test_routes_unsubscribe_post_leaves_the_report_on():
    user = UserFactory()
    response = Client(enforce_csrf_checks=True).post(_url(unsubscribe_token(user_id=user.pk, email_list=ROUTES)))
    assert "We will send no more e-mails about new routes" in response.content.decode()
    assert _opted_in(user) is False
    assert _report_on(user) is True


def test_report_unsubscribe_when_already_off_says_so_even_if_routes_are_on(client):
    user = UserFactory(email_monthly_report=False)
    url = _url(unsubscribe_token(user_id=user.pk, email_list=REPORT))
    page = client.get(url).content.decode()
    assert "already unsubscribed: we send no monthly summaries of your trips" in page
    page = client.post(url).content.decode()
    assert "already unsubscribed from monthly summaries of your trips" in page
    assert _report_on(user) is False and _opted_in(user) is True


def test_a_token_from_before_lists_still_unsubscribes_from_new_routes(client):
    """Links in e-mails already sent carry the user's id only: they meant the new-routes e-mail."""
    user = UserFactory()
    old_token = signing.dumps({"u": user.pk}, salt=SALT, compress=False)
    assert unsubscribe_read(token=old_token).email_list.key == ROUTES
    page = client.get(_url(old_token)).content.decode()
    assert "Stop the occasional evening e-mails about new routes" in page
    response = Client(enforce_csrf_checks=True).post(_url(old_token))
    assert response.status_code == 200
    assert _opted_in(user) is False and _report_on(user) is True


def test_unsubscribe_token_refuses_an_unknown_list():
    with pytest.raises(ValueError):
        unsubscribe_token(user_id=1, email_list="everything")


def test_profile_shows_and_saves_the_monthly_report_preference(client):
    user = UserFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "E-mail me a monthly summary of my trips" in page and 'name="email_monthly_report"' in page
    # Only the new-routes box ticked: the report goes off, the new-routes e-mail stays on.
    response = client.post(
        reverse("accounts:profile"), {"first_name": "Ada", "last_name": "Lovelace", "email_new_routes": "on"}
    )
    assert response.status_code == 302
    assert _report_on(user) is False and _opted_in(user) is True
    client.post(
        reverse("accounts:profile"), {"first_name": "Ada", "last_name": "Lovelace", "email_monthly_report": "on"}
    )
    assert _report_on(user) is True and _opted_in(user) is False


def test_new_passengers_get_the_monthly_report_by_default():
    assert UserFactory().email_monthly_report is True


# Last seen (accounts.middleware.LastSeenMiddleware)


def _last_seen(user: User):
    return User.objects.values_list("last_seen_at", flat=True).get(pk=user.pk)


def test_last_seen_is_written_once_an_hour_not_on_every_request(client, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    user = UserFactory(last_login=start - timedelta(days=3))
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(last_login=start - timedelta(days=3))
    client.get(reverse("accounts:profile"))
    assert _last_seen(user) == start

    time_machine.move_to(start + timedelta(minutes=59), tick=False)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:profile"))
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "accounts_user"')]
    assert _last_seen(user) == start

    time_machine.move_to(start + timedelta(minutes=61), tick=False)
    client.get(reverse("accounts:profile"))
    assert _last_seen(user) == start + timedelta(minutes=61)


def test_last_seen_counts_a_recent_login_and_ignores_anonymous_visitors(client, django_assert_num_queries):
    user = UserFactory()
    client.force_login(user)  # sets last_login to now: the login is the visit
    client.get(reverse("accounts:profile"))
    assert _last_seen(user) is None
    with django_assert_num_queries(0):
        Client().get(reverse("accounts:unsubscribe", args=["garbage"]))


@pytest.mark.parametrize("path", ["/accounts/unsubscribe/%00abc/", "/accounts/unsubscribe/" + "a" * 5000 + "/"])
def test_unsubscribe_with_a_nul_byte_or_an_endless_token_is_a_clear_400(client, path):
    user = UserFactory()
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert _opted_in(user) is True
