"""The staff "sent mail" pages: what the outbox holds, each e-mail as it renders."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue, outbox_send

pytestmark = pytest.mark.django_db


def _message(**overrides) -> OutboxMessage:
    fields = {"to": "ada@example.test", "template": "welcome", "context": {"name": "Ada"}}
    return outbox_enqueue(**{**fields, **overrides})


def test_staff_see_every_outbox_message_with_status_attempts_and_last_error(staff_client):
    sent = _message()
    outbox_send(message_id=sent.pk)
    failed = _message(to="bob@example.test")
    OutboxMessage.objects.filter(pk=failed.pk).update(
        status=OutboxMessage.Status.FAILED, attempts=10, last_error="SMTPServerDisconnected: gone"
    )
    response = staff_client.get(reverse("staff:mail_list"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "ada@example.test" in page and "bob@example.test" in page
    assert "Welcome" in page  # the subject of the sent one
    assert "SMTPServerDisconnected: gone" in page
    assert "1 sent" in page and "1 failed" in page


def test_the_list_filters_by_status_and_recipient_and_ignores_nonsense(staff_client):
    _message()
    failed = _message(to="bob@example.test")
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxMessage.Status.FAILED)
    url = reverse("staff:mail_list")
    page = staff_client.get(url, {"status": "failed"}).content.decode()
    assert "bob@example.test" in page and "ada@example.test" not in page
    page = staff_client.get(url, {"q": "ada@"}).content.decode()
    assert "ada@example.test" in page and "bob@example.test" not in page
    response = staff_client.get(url, {"status": "bogus", "page": "x"})
    assert response.status_code == 200 and "ada@example.test" in response.content.decode()


def test_the_detail_page_shows_the_text_and_the_html_only_inside_a_sandboxed_iframe(staff_client):
    message = _message(context={"name": '<script>alert("x")</script>Ada'})
    response = staff_client.get(reverse("staff:mail_detail", args=[message.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    # The templates' output is marked safe; the page must escape it all the same.
    assert "<script>alert" not in page
    assert page.count("<html") == 1 and page.count("<body") == 1  # the page's own only
    [(attributes, src)] = re.findall(r'<iframe([^>]*?)src="([^"]*)"', page)
    assert " sandbox " in attributes
    assert src == reverse("staff:mail_preview", args=[message.pk])
    assert "Hello" in page  # the plain-text part
    assert f"&lt;{message.message_id}@testserver&gt;" in page

    preview = staff_client.get(src)
    assert preview.status_code == 200
    assert "<body" in preview.content.decode()
    assert "Hello &lt;script&gt;" in preview.content.decode()  # the e-mail's HTML, escaped by its template
    # Its own policy: the e-mail's inline styles, nothing else, in a sandbox, framed only here.
    policy = preview["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy and preview["X-Frame-Options"] == "SAMEORIGIN"


def test_the_preview_of_a_password_reset_is_not_there(staff_client):
    message = _message(template="password_reset", context={"email": "ada@example.test", "url": "http://x/reset/y/"})
    assert staff_client.get(reverse("staff:mail_preview", args=[message.pk])).status_code == 404


def test_a_password_reset_link_is_never_shown_to_staff(staff_client):
    link = "http://testserver/accounts/reset/MQ/secret-token/"
    message = _message(template="password_reset", context={"email": "ada@example.test", "url": link})
    page = staff_client.get(reverse("staff:mail_detail", args=[message.pk])).content.decode()
    assert "secret-token" not in page
    assert "one-time link" in page


def test_a_passengers_unsubscribe_link_is_never_shown_to_staff(staff_client):
    from bookings.services.nudge import _nudge_context

    passenger = UserFactory(first_name="Ada")
    context = _nudge_context(passenger, [])
    token = context["unsubscribe_url"].rstrip("/").rsplit("/", 1)[-1]
    message = _message(template="evening_nudge", context=context)
    page = staff_client.get(reverse("staff:mail_detail", args=[message.pk])).content.decode()
    assert token not in page
    assert "passenger&#x27;s own link" in page or "passenger's own link" in page
    outbox_send(message_id=message.pk)  # the passenger's own e-mail still carries it
    from django.core import mail

    assert token in mail.outbox[-1].body and token in mail.outbox[-1].extra_headers["List-Unsubscribe"]


def test_a_passengers_monthly_report_unsubscribe_link_is_never_shown_to_staff(staff_client):
    from django.core import mail
    from django.utils import timezone

    from bookings.services.monthly_report import _Activity, monthly_report_contexts, report_month

    passenger = UserFactory(first_name="Ada")
    now = timezone.now()
    activity = {passenger.pk: _Activity(trips_by_month={}, bookings_made=1)}
    context = monthly_report_contexts(user_ids=[passenger.pk], activity=activity, month=report_month(now=now), now=now)[
        passenger.pk
    ]
    token = context["unsubscribe_url"].rstrip("/").rsplit("/", 1)[-1]
    message = _message(to=context.pop("email"), template="monthly_report", context=context)
    page = staff_client.get(reverse("staff:mail_detail", args=[message.pk])).content.decode()
    assert token not in page
    assert "passenger&#x27;s own link" in page or "passenger's own link" in page
    outbox_send(message_id=message.pk)  # the passenger's own e-mail still carries it
    assert token in mail.outbox[-1].body and token in mail.outbox[-1].alternatives[0][0]
    assert token in mail.outbox[-1].extra_headers["List-Unsubscribe"]


def test_a_message_whose_template_cannot_render_shows_why_instead_of_failing(staff_client):
    message = _message(template="no_such_template")
    response = staff_client.get(reverse("staff:mail_detail", args=[message.pk]))
    assert response.status_code == 200
    assert "TemplateDoesNotExist" in response.content.decode()


def test_passengers_cannot_read_the_outbox(client):
    message = _message()
    client.force_login(UserFactory())
    assert client.get(reverse("staff:mail_list")).status_code == 403
    assert client.get(reverse("staff:mail_detail", args=[message.pk])).status_code == 403


def test_an_unknown_message_is_404(staff_client):
    assert staff_client.get(reverse("staff:mail_detail", args=[999999])).status_code == 404
