"""Domain errors the booking services raise; views turn them into messages."""


class BookingError(Exception):
    message = "This booking could not be completed."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class SoldOut(BookingError):
    message = "Sorry, there are not enough seats left on this flight."


class SeatTaken(BookingError):
    message = "That seat has just been taken. Please choose another."

    def __init__(self, message: str | None = None, *, seats: tuple[str, ...] = ()):
        if seats and not message:
            taken = ", ".join(seats)
            message = (
                f"Sorry, seat{'s' if len(seats) > 1 else ''} {taken} {'were' if len(seats) > 1 else 'was'} just taken."
            )
        super().__init__(message)
        self.seats = seats


class SeatUnknown(BookingError):
    message = "That seat does not exist on this flight."


class BookingClosed(BookingError):
    message = "This flight is no longer open for booking."


class FlightBusy(BookingError):
    message = "This flight is very busy right now. Please try again in a moment."


class CancellationClosed(BookingError):
    message = "This booking can no longer be cancelled online: the cancellation deadline has passed."


class HoldExpired(BookingError):
    message = "Your seat hold has expired and the seats were released. Please choose your seats again."


class PaymentDeclined(BookingError):
    message = "Your payment was declined. Please use another card."


class CheckoutIncomplete(BookingError):
    message = "Please enter every passenger's name before paying."


class HoldLimitReached(BookingError):
    """One more open checkout would pass a hold limit (bookings/services/checkout/hold_limits.py).
    `open_reference` names the account's open checkout on this flight, when that is why."""

    message = "You have too many checkouts holding seats. Finish or release one before holding more."

    def __init__(self, message: str | None = None, *, open_reference: str = ""):
        super().__init__(message)
        self.open_reference = open_reference
