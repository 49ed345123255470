"""On-site alerts: the navbar bell with its unread count, the alert list, marking read."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Alert
from notifications.services import alert_create
from notifications.tests.users import make_user

pytestmark = pytest.mark.django_db


def _alerts_queries(queries) -> list[str]:
    return [query["sql"] for query in queries if "notifications_alert" in query["sql"]]


def test_bell_shows_the_unread_count_with_text_for_screen_readers(client):
    user = make_user()
    alert_create(user_id=user.pk, text="Your export is ready", url="/bookings/")
    alert_create(user_id=user.pk, text="Another one", url="/bookings/")
    read = alert_create(user_id=user.pk, text="Seen already", url="/bookings/")
    Alert.objects.filter(pk=read.pk).update(read_at=timezone.now())
    alert_create(user_id=make_user().pk, text="Someone else's", url="/")
    client.force_login(user)

    page = client.get(reverse("bookings:list")).content.decode()

    assert f'href="{reverse("notifications:alerts")}"' in page
    assert '<span class="visually-hidden">2 unread alerts</span>' in page
    assert '<span class="badge rounded-pill bg-warning text-dark" aria-hidden="true">2</span>' in page


def test_bell_without_unread_alerts_shows_no_badge(client):
    user = make_user()
    client.force_login(user)

    page = client.get(reverse("bookings:list")).content.decode()

    assert "Alerts, none unread" in page and "badge rounded-pill" not in page


def test_the_unread_count_costs_one_query_per_page(client):
    user = make_user()
    alert_create(user_id=user.pk, text="Ready", url="/")
    client.force_login(user)

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notifications:alerts"))  # uses the count twice: bell and button

    counts = [sql for sql in _alerts_queries(queries) if "COUNT(" in sql]
    assert len(counts) == 2  # the bell's, and the paginator's count of the list itself
    assert sum("read_at" in sql and "IS NULL" in sql for sql in counts) == 1


def test_anonymous_pages_have_no_bell_and_never_query_alerts(client):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("flights:search")).content.decode()

    assert "nav-alerts" not in page and "unread" not in page
    assert _alerts_queries(queries) == []


def test_alert_list_shows_own_alerts_newest_first_with_unread_highlighted(client):
    user = make_user()
    with time_machine.travel(timezone.now() - timedelta(hours=2)):
        old = alert_create(user_id=user.pk, text="Older alert", url="/bookings/")
    Alert.objects.filter(pk=old.pk).update(read_at=timezone.now())
    alert_create(user_id=user.pk, text="Newer alert", url="/bookings/exports/1/")
    alert_create(user_id=make_user().pk, text="Not yours", url="/")
    client.force_login(user)

    page = client.get(reverse("notifications:alerts")).content.decode()

    assert page.index("Newer alert") < page.index("Older alert")
    assert '<a href="/bookings/exports/1/">Newer alert</a>' in page
    assert page.count("alert-unread") == 1
    assert "Not yours" not in page
    assert "Mark all as read" in page


def test_opening_the_alert_list_marks_nothing_read(client):
    user = make_user()
    alert_create(user_id=user.pk, text="Ready", url="/")
    client.force_login(user)

    client.get(reverse("notifications:alerts"))

    assert Alert.objects.get(user_id=user.pk).read_at is None


def test_mark_all_as_read_marks_only_my_alerts(client):
    user, other = make_user(), make_user()
    alert_create(user_id=user.pk, text="One", url="/")
    alert_create(user_id=user.pk, text="Two", url="/")
    alert_create(user_id=other.pk, text="Theirs", url="/")
    client.force_login(user)

    response = client.post(reverse("notifications:alerts_mark_read"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("notifications:alerts")
    assert "Marked 2 alerts as read." in response.content.decode()
    assert not Alert.objects.filter(user_id=user.pk, read_at__isnull=True).exists()
    assert Alert.objects.get(user_id=other.pk).read_at is None
    assert "Alerts, none unread" in response.content.decode()


def test_mark_one_as_read_leaves_the_others_unread(client):
    user = make_user()
    first = alert_create(user_id=user.pk, text="One", url="/")
    second = alert_create(user_id=user.pk, text="Two", url="/")
    client.force_login(user)

    client.post(reverse("notifications:alerts_mark_read"), {"alert": str(first.pk)})

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


@pytest.mark.parametrize("value", ["not-a-number", "-1", "99999999999999999999999", "", "²"])
def test_mark_read_with_a_bad_alert_id_changes_nothing(client, value):
    user = make_user()
    alert_create(user_id=user.pk, text="One", url="/")
    client.force_login(user)

    response = client.post(reverse("notifications:alerts_mark_read"), {"alert": value})

    assert response.status_code == 302
    assert Alert.objects.get(user_id=user.pk).read_at is None


def test_another_users_alert_cannot_be_marked_read(client):
    owner = make_user()
    theirs = alert_create(user_id=owner.pk, text="Owner's", url="/")
    client.force_login(make_user())

    client.post(reverse("notifications:alerts_mark_read"), {"alert": str(theirs.pk)})
    client.post(reverse("notifications:alerts_mark_read"))

    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_alert_list_pages_and_ignores_a_bad_page_number(client):
    user = make_user()
    for index in range(30):
        alert_create(user_id=user.pk, text=f"Alert number {index}", url="/")
    client.force_login(user)

    first = client.get(reverse("notifications:alerts")).content.decode()
    bad = client.get(reverse("notifications:alerts"), {"page": "x' OR 1=1"})

    assert first.count("list-group-item ") == 25 and "Page 1 of 2" in first
    assert bad.status_code == 200


def test_alerts_need_sign_in(client):
    response = client.get(reverse("notifications:alerts"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_alert_times_are_on_the_readers_clock_with_its_zone(client):
    user = make_user()
    with time_machine.travel("2027-01-15 01:30:00+00:00", tick=False):
        alert_create(user_id=user.pk, text="Your export is ready", url="/bookings/")
    client.force_login(user)

    # No zone known: the site's (UTC), named as such.
    assert "Fri 15 Jan 2027, 01:30 UTC" in client.get(reverse("notifications:alerts")).content.decode()
    # The browser's zone (static/js/timezone.js): in New York that was still the 14th.
    client.cookies["tz"] = "America/New_York"
    assert "Thu 14 Jan 2027, 20:30 EST" in client.get(reverse("notifications:alerts")).content.decode()
    # The profile's choice wins over the browser's.
    user.time_zone = "Asia/Tokyo"
    user.save(update_fields=["time_zone"])
    assert "Fri 15 Jan 2027, 10:30 JST" in client.get(reverse("notifications:alerts")).content.decode()


def test_an_unknown_zone_in_the_cookie_falls_back_to_the_sites(client):
    user = make_user()
    with time_machine.travel("2027-01-15 01:30:00+00:00", tick=False):
        alert_create(user_id=user.pk, text="Your export is ready", url="/bookings/")
    client.force_login(user)
    for cookie in ("Mars/Olympus", "../../etc/passwd", "", "x" * 300):
        client.cookies["tz"] = cookie
        response = client.get(reverse("notifications:alerts"))
        assert response.status_code == 200
        assert "Fri 15 Jan 2027, 01:30 UTC" in response.content.decode()
