"""Checkout: hold seats (hold.py, its one-statement common case in hold_fast.py and its
limits in hold_limits.py), name the passengers (passengers.py), pay (payment.py). Each step
owns its transaction.

Lock order everywhere: the flight row, then booking rows by pk. Paying locks only its own
booking (never the flight), so a slow card payment never blocks other passengers' bookings.
"""

from .hold import booking_hold, booking_release
from .passengers import Passenger, booking_set_passengers, check_hold_live
from .payment import booking_create, booking_pay

__all__ = [
    "Passenger",
    "booking_create",
    "booking_hold",
    "booking_pay",
    "booking_release",
    "booking_set_passengers",
    "check_hold_live",
]
