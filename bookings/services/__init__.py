"""Writes for bookings. Each service owns its transaction and locks flights before bookings.

- checkout/: hold seats (and the one-statement hold, the hold limits), name the passengers,
  pay, release; cancel.py: cancellations, flight removal, hold expiry; common.py: references,
  the flight and booking locks, releasing lapsed holds;
- flight_changes.py: the "your flight changed" e-mails;
- the jobs' work (their Celery tasks in bookings/tasks.py only call these): reminders.py,
  nudge.py, monthly_report.py, exports.py (the CSV export).
"""

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
from .exports import export_expire, export_run, export_start, exports_sweep
from .flight_changes import flight_times_notify
from .monthly_report import monthly_reports_send
from .nudge import nudges_send
from .privacy import AccountDeletionRefused, account_delete, passengers_anonymise, personal_data
from .reminders import departure_reminders_send

__all__ = [
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "AccountDeletionRefused",
    "Passenger",
    "account_delete",
    "booking_cancel",
    "booking_create",
    "booking_hold",
    "booking_pay",
    "booking_release",
    "booking_set_passengers",
    "departure_reminders_send",
    "export_expire",
    "export_run",
    "export_start",
    "exports_sweep",
    "flight_remove",
    "flight_times_notify",
    "holds_expire",
    "monthly_reports_send",
    "new_reference",
    "nudges_send",
    "passengers_anonymise",
    "personal_data",
]
