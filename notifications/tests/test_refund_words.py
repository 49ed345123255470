"""What the cancellation e-mails say about money: what was charged, that it comes back, to
which card and how soon; never "you will not be charged" after a payment. Rendered from the
JSON contexts the outbox stores, including rows written by an earlier release."""

import pytest
from django.core import mail

from notifications.models import OutboxMessage
from notifications.services import outbox_send

pytestmark = pytest.mark.django_db

TRIP = {
    "name": "Ada",
    "reference": "K7QX2M",
    "flight_number": "SK117",
    "origin": "London (LHR)",
    "destination": "New York (JFK)",
    "departs": "Thu 24 Dec 2026, 13:05 GMT",
    "arrives": "Thu 24 Dec 2026, 16:15 EST",
    "passengers": [{"name": "Ada Lovelace", "seat": "4C"}, {"name": "Charles Babbage", "seat": "4D"}],
    "total": "779.00 EUR",
    "url": "http://testserver/bookings/K7QX2M/",
}
MONEY = {
    "charged": "779.00 EUR",
    "refund": "779.00 EUR",
    "refunded_before": "",
    "refund_to": "your Visa card ending 4242",
    "refund_within": "5–10 working days",
}


def _sent(template: str, context: dict):
    message = OutboxMessage.objects.create(to="ada@example.test", template=template, context=context)
    assert outbox_send(message_id=message.pk) is True
    email = mail.outbox[-1]
    return email.body, email.alternatives[0][0]


def test_flight_cancelled_email_says_what_was_charged_that_all_comes_back_to_which_card_and_when():
    text, html = _sent("flight_cancelled", {**TRIP, **MONEY})
    assert "You paid 779.00 EUR, and all of it is refunded." in text
    assert "The refund of 779.00 EUR is on its way to your Visa card ending 4242" in text
    assert "usually arrives within 5–10 working days" in text
    assert "<strong>779.00 EUR</strong> is on its way to your Visa card ending 4242" in html
    assert "not be charged" not in text and "not be charged" not in html


def test_flight_cancelled_email_after_an_earlier_partial_refund_says_both_parts():
    context = {**TRIP, **MONEY, "refund": "389.50 EUR", "refunded_before": "194.75 EUR"}
    text, _html = _sent("flight_cancelled", context)
    assert "You paid 779.00 EUR. 194.75 EUR of it was refunded earlier, for the passengers you cancelled" in text
    assert "refunded in full now. The refund of 389.50 EUR is on its way to your Visa card ending 4242" in text


def test_flight_cancelled_email_written_by_the_previous_release_no_longer_says_not_charged():
    # A row without the money keys (the release before this one) sent by this one.
    text, html = _sent("flight_cancelled", TRIP)
    assert "not be charged" not in text and "not be charged" not in html
    assert "Everything you paid for this booking is refunded in full to the card you paid with." in text


@pytest.mark.parametrize(
    ("still", "sentence"),
    [
        ([{"name": "Ada Lovelace", "seat": "4C"}], "Ada Lovelace keeps their seat."),
        (
            [{"name": "Ada Lovelace", "seat": "4C"}, {"name": "Alan Turing", "seat": "4E"}],
            "The other 2 passengers keep their seats.",
        ),
    ],
)
def test_booking_cancelled_email_for_some_passengers_names_who_keeps_flying_in_good_grammar(still, sentence):
    context = {
        **TRIP,
        **MONEY,
        "refund": "194.75 EUR",
        "passengers": still,
        "cancelled": ["Charles Babbage"],
        "still_flying": True,
    }
    text, html = _sent("booking_cancelled", context)
    assert "we have cancelled Charles Babbage on this booking and released the seat. " + sentence in text
    assert sentence in html
    assert "A refund of 194.75 EUR is on its way to your Visa card ending 4242." in text
    assert "It usually arrives within 5–10 working days." in text


def test_booking_cancelled_email_with_nothing_refunded_says_so():
    context = {**TRIP, **MONEY, "refund": "", "cancelled": ["Ada Lovelace", "Charles Babbage"], "still_flying": False}
    text, _html = _sent("booking_cancelled", context)
    assert "No refund is due under the fare rule." in text
    assert "on its way" not in text
