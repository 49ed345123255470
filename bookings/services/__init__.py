"""Writes for bookings. Each service owns its transaction and locks flights before bookings."""

from .cancel import booking_cancel, flight_remove, holds_expire
from .checkout import (
    Passenger,
    booking_create,
    booking_hold,
    booking_pay,
    booking_release,
    booking_set_passengers,
)
from .common import REFERENCE_ALPHABET, REFERENCE_LENGTH, new_reference

__all__ = [
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "Passenger",
    "booking_cancel",
    "booking_create",
    "booking_hold",
    "booking_pay",
    "booking_release",
    "booking_set_passengers",
    "flight_remove",
    "holds_expire",
    "new_reference",
]
