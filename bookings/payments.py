"""Payment providers: a small interface, and the built-in test provider.

A provider charges a card once per idempotency key and refunds part or all of a charge.
The card details pass through in memory only; what is kept is the provider's reference, the
card brand and its last four digits. Choose the provider with PAYMENT_PROVIDER (a dotted path).
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .exceptions import PaymentDeclined


@dataclass(frozen=True, repr=False)
class Card:
    number: str  # digits only
    expiry_month: int
    expiry_year: int  # four digits
    cvc: str
    holder: str

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never the number, not even in a traceback
        return f"Card(**** {self.last4})"


@dataclass(frozen=True)
class Charge:
    reference: str
    brand: str
    last4: str


class PaymentProvider(Protocol):
    name: str

    def charge(self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str) -> Charge:
        """Take `amount` from the card. The same key never charges twice: it returns the first
        charge. Raises PaymentDeclined with a message for the passenger."""

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> None:
        """Give back `amount` of the charge `reference`; the same key refunds once."""


# How long a refund takes to reach the card once the provider has it (banks take a few working
# days): what e-mails and pages promise passengers.
REFUND_ARRIVES_WITHIN = "5–10 working days"


def card_words(*, brand: str, last4: str) -> str:
    """The card a refund goes back to, as a passenger reads it: "your Visa card ending 4242";
    "the card you paid with" when the payment kept no digits."""
    if not last4:
        return "the card you paid with"
    if brand and brand != "Card":
        return f"your {brand} card ending {last4}"
    return f"your card ending {last4}"


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "Visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "Mastercard"
    if number[:2] in {"34", "37"}:
        return "American Express"
    return "Card"


class TestPaymentProvider:
    """Charges nothing and talks to no one. The card number decides the outcome (docs/payments.md):

    4242 4242 4242 4242 (and any other valid number not listed) succeeds; the numbers in
    DECLINES are refused with their message, like a real bank would.
    """

    name = "test"
    DECLINES = {
        "4000000000000002": "Your card was declined by your bank. Please use another card.",
        "4000000000009995": "Your card has insufficient funds. Please use another card.",
        "4000000000000069": "Your bank says this card has expired. Please use another card.",
        "4000000000000127": "The security code (CVC) is incorrect. Please check it and try again.",
    }

    def charge(self, *, amount: Decimal, currency: str, card: Card, idempotency_key: str) -> Charge:
        message = self.DECLINES.get(card.number)
        if message:
            raise PaymentDeclined(message)
        # A reference derived from the key: a retried charge is recognisably the same one.
        reference = "test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return Charge(reference=reference, brand=card_brand(card.number), last4=card.last4)

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> None:
        return None


def payment_provider() -> PaymentProvider:
    return import_string(settings.PAYMENT_PROVIDER)()
