"""The site's error pages (400, 403, 404, 500 and a failed CSRF check) look like the site, say in
words what happened, lead back to search and the passenger's bookings, and tell nothing about
the error itself (the settings here are production's: DEBUG is off). Under /api/ the API's
problem+json answers instead (api/tests/test_errors.py)."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory
from django.urls import path, reverse

from accounts.tests.factories import PASSWORD, UserFactory
from booking_site import error_views
from booking_site import urls as site_urls
from bookings.tests.factories import make_booking

pytestmark = pytest.mark.django_db

H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)
SECRET = "secret-detail-7f3a"  # in every exception below; never on a page


def _boom(request):
    raise RuntimeError(SECRET)


def _forbidden(request):
    raise PermissionDenied(SECRET)


def _gone(request):
    raise Http404(SECRET)


# This module is also the URLconf of the tests marked `urls(__name__)`: the site's, with its
# handlers, and views that fail on purpose, as a bug or a refusal would.
urlpatterns = [path("boom/", _boom), path("forbidden/", _forbidden), path("gone/", _gone), *site_urls.urlpatterns]
handler400 = "booking_site.error_views.bad_request"
handler403 = "booking_site.error_views.permission_denied"
handler404 = "booking_site.error_views.page_not_found"
handler500 = "booking_site.error_views.server_error"


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def _h1(page: str) -> str:
    headings = H1.findall(page)
    assert len(headings) == 1, headings
    return headings[0].strip()


def _assert_looks_like_the_site(page: str) -> None:
    assert "/static/css/site.css" in page
    assert "/static/favicon.svg" in page
    assert '<main id="main"' in page
    assert " style=" not in page  # nothing for the Content-Security-Policy to block


def test_an_unknown_address_gets_a_404_page_that_leads_to_search_and_manage_booking(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = _page(response)
    assert _h1(page) == "We can't find that page"
    _assert_looks_like_the_site(page)
    assert f'href="{reverse("flights:search")}">Search flights</a>' in page
    assert f'href="{reverse("bookings:manage")}">Manage a booking</a>' in page
    assert "urlpatterns" not in page and "Resolver404" not in page and "tried" not in page


def test_a_signed_in_passenger_on_someone_elses_booking_gets_the_404_page_with_my_bookings(client):
    other = make_booking()
    client.force_login(UserFactory())

    response = client.get(reverse("bookings:detail", args=[other.reference]))

    assert response.status_code == 404
    page = _page(response)
    assert _h1(page) == "We can't find that page"
    assert f'href="{reverse("bookings:list")}">My bookings</a>' in page
    assert "matches the given query" not in page


@pytest.mark.urls(__name__)
def test_a_404_raised_with_a_message_does_not_show_it(client):
    response = client.get("/gone/")

    assert response.status_code == 404
    assert SECRET not in _page(response)


def test_a_passenger_on_a_staff_page_gets_a_403_page_that_says_which_account_they_use(client):
    passenger = UserFactory(email="ada@example.test")
    client.force_login(passenger)

    response = client.get(reverse("staff:schedule"))

    assert response.status_code == 403
    page = _page(response)
    assert _h1(page) == "You can't open this page"
    _assert_looks_like_the_site(page)
    assert "logged in as ada@example.test" in page
    assert f'href="{reverse("bookings:list")}">My bookings</a>' in page
    assert "Staff only" not in page


@pytest.mark.urls(__name__)
def test_a_403_for_a_visitor_offers_to_log_in_and_does_not_show_the_reason(client):
    response = client.get("/forbidden/")

    assert response.status_code == 403
    page = _page(response)
    assert _h1(page) == "You can't open this page"
    assert "?next=/forbidden/" in page
    assert SECRET not in page


@pytest.mark.urls(__name__)
def test_a_bug_gets_the_500_page_with_a_reference_and_no_detail():
    client = Client(raise_request_exception=False)

    response = client.get("/boom/", HTTP_X_REQUEST_ID="support-ref-000123")

    assert response.status_code == 500
    page = _page(response)
    assert _h1(page) == "Something went wrong on our side"
    _assert_looks_like_the_site(page)
    assert "support-ref-000123" in page
    assert SECRET not in page and "Traceback" not in page and "RuntimeError" not in page


def test_the_500_page_renders_without_the_database_or_the_request_context(rf, django_assert_num_queries):
    request = rf.get("/bookings/")
    request.id = "trace-0123456789"

    with django_assert_num_queries(0):
        response = error_views.server_error(request)

    assert response.status_code == 500
    page = _page(response)
    assert _h1(page) == "Something went wrong on our side"
    assert 'href="/">Search flights</a>' in page
    assert f'href="{reverse("bookings:list")}">My bookings</a>' in page
    assert "trace-0123456789" in page
    assert "<script" not in page


def test_a_request_for_another_host_gets_the_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    page = _page(response)
    assert _h1(page) == "We couldn't read that request"
    assert "evil.example" not in page


def test_a_form_sent_with_a_stale_token_gets_the_session_expired_page_and_a_way_back():
    client = Client(enforce_csrf_checks=True)
    login = reverse("accounts:login")
    client.get(login)  # the CSRF cookie, as a browser has it
    client.cookies["csrftoken"] = "x" * 32  # ...then replaced by a log-in in another tab

    response = client.post(
        login,
        {"csrfmiddlewaretoken": "y" * 64, "username": "ada@example.test", "password": PASSWORD},
        HTTP_REFERER=f"http://testserver{login}",
    )

    assert response.status_code == 403
    page = _page(response)
    assert _h1(page) == "Your session expired"
    _assert_looks_like_the_site(page)
    assert "Go back, reload the page, and try again." in page
    assert f'href="http://testserver{login}">Back to the page</a>' in page
    assert "CSRF" not in page and "incorrect" not in page


def test_the_session_expired_page_mentions_cookies_only_when_none_came_and_never_links_off_site():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {}, HTTP_REFERER="https://evil.example/phish")

    assert response.status_code == 403
    page = _page(response)
    assert _h1(page) == "Your session expired"
    assert "check that cookies are allowed" in page
    assert "evil.example" not in page
    assert f'href="{reverse("flights:search")}">Search flights</a>' in page


def test_a_csrf_failure_under_the_api_is_problem_json():
    request = RequestFactory().post("/api/v1/holds")
    request.id = "trace-0123456789"

    response = error_views.csrf_failure(request, reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "csrf_failed"


def test_favicon_ico_answers_with_our_icon_and_every_page_links_the_svg(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert finders.find("favicon.ico") and finders.find("favicon.svg")
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in _page(client.get("/"))
