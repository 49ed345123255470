"""Signals flights sends for apps above it (flights imports no app that books seats).

`flight_times_changed` is sent by `flights.services.flight_update` inside its transaction,
after the flight row is saved, when the departure or arrival time changed. Keyword arguments:
`flight` (the saved Flight, times in UTC), `old_departs_at`, `old_arrives_at` (UTC), and
`old_origin`, `old_destination` (the airports before the edit, whose zones the old times were
shown in). A
receiver runs in that transaction: what it writes commits or rolls back with the change, and
an exception it raises undoes the edit. Nothing is sent for a change of price, capacity or
anything else.
"""

from django.dispatch import Signal

flight_times_changed = Signal()
