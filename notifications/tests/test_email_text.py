"""Every e-mail: the plain-text part and the subject show names as typed, the HTML escapes them."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from notifications.models import OutboxMessage
from notifications.services import outbox_send

pytestmark = pytest.mark.django_db

NAME = "O'Brien & <Co>"
ESCAPED = "O&#x27;Brien &amp; &lt;Co&gt;"
# What autoescaping leaves behind; none belongs in plain text.
ENTITIES = ("&amp;", "&#x27;", "&lt;", "&gt;", "&quot;", "&#39;")

EMAILS_DIR = Path(settings.BASE_DIR) / "templates" / "emails"
TEMPLATES = sorted(path.name.removesuffix("_subject.txt") for path in EMAILS_DIR.glob("*_subject.txt"))

# Every text a template might show, set to the awkward name. Values a template formats
# itself (numbers, lists) are left to that template's own tests.
CONTEXT = {
    key: NAME
    for key in (
        "name",
        "email",
        "reference",
        "flight_number",
        "origin",
        "destination",
        "departs",
        "arrives",
        "old_departs",
        "old_arrives",
        "airport",
        "be_at_airport",
        "total",
        "refund",
        "currency",
        "charged",
        "refunded_before",
        "refund_to",
        "refund_within",
    )
}
CONTEXT.update(
    {
        "passengers": [{"name": NAME, "seat": "1A", "eticket_url": "http://testserver/t/1/"}],
        "cancelled": [NAME],
        "still_flying": True,
        "departs_changed": True,
        "arrives_changed": True,
        "url": "http://testserver/bookings/ABC123/?a=1&b=2",
        "calendar_url": "http://testserver/bookings/ABC123/calendar.ics",
    }
)
# Subjects known to show a name, place or the site's name.
NAMED_IN_SUBJECT = {
    "booking_cancelled",
    "booking_confirmed",
    "departure_reminder",
    "flight_cancelled",
    "flight_changed",
    "password_reset",
    "welcome",
}


def test_every_email_template_has_text_html_and_subject():
    assert "booking_confirmed" in TEMPLATES and "departure_reminder" in TEMPLATES
    for name in TEMPLATES:
        assert (EMAILS_DIR / f"{name}.txt").exists(), name
        assert (EMAILS_DIR / f"{name}.html").exists(), name


@pytest.mark.parametrize("template", TEMPLATES)
def test_text_and_subject_show_names_verbatim_and_html_escapes_them(settings, template):
    settings.SITE_NAME = NAME  # in every e-mail's layout or signature, whatever its context
    message = OutboxMessage.objects.create(to="ada@example.test", template=template, context=CONTEXT)
    assert outbox_send(message_id=message.pk) is True
    [email] = mail.outbox
    html = email.alternatives[0][0]
    assert NAME in email.body
    if "Brien" in email.subject or template in NAMED_IN_SUBJECT:
        assert NAME in email.subject
    for entity in ENTITIES:
        assert entity not in email.body, f"{template}.txt escapes: {entity}"
        assert entity not in email.subject, f"{template}_subject.txt escapes: {entity}"
    assert ESCAPED in html
    assert NAME not in html and "<Co>" not in html


def test_links_in_the_text_part_keep_their_ampersands():
    message = OutboxMessage.objects.create(to="ada@example.test", template="booking_confirmed", context=CONTEXT)
    outbox_send(message_id=message.pk)
    [email] = mail.outbox
    assert "http://testserver/bookings/ABC123/?a=1&b=2" in email.body
    assert "http://testserver/bookings/ABC123/?a=1&amp;b=2" in email.alternatives[0][0]
