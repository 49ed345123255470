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


class BookingClosed(BookingError):
    message = "This flight is no longer open for booking."


class FlightBusy(BookingError):
    message = "This flight is very busy right now. Please try again in a moment."


class CancellationClosed(BookingError):
    message = "This booking can no longer be cancelled: the flight has departed."
