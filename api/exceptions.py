"""Errors of the API's own resources (cancellation quotes); api/errors.py maps them to codes."""

from bookings.exceptions import BookingError


class NothingToCancel(BookingError):
    message = "Nothing is left to cancel on this booking."


class QuoteExpired(BookingError):
    message = "This quote has expired. Ask for a new one."


class NotOnBooking(BookingError):
    """A passenger (ticket id) chosen to cancel who is not flying on the booking."""
