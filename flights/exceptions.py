class FlightError(Exception):
    """A schedule change that would break a rule; the message is shown to staff as it is."""


class CapacityBelowBooked(FlightError):
    pass


class FlightNotEditable(FlightError):
    pass


class ScheduleBusy(FlightNotEditable):
    """The flight's row lock was not had in time (a booking holds it): try again in a moment."""
