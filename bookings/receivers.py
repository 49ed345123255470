"""Signal receivers of the bookings app (connected in BookingsConfig.ready). No rules here:
each calls a service."""

from django.dispatch import receiver

from flights.signals import flight_times_changed

from .services.flight_changes import flight_times_notify


@receiver(flight_times_changed, dispatch_uid="bookings.flight_times_notify")
def _flight_times_changed(sender, *, flight, old_departs_at, old_arrives_at, **kwargs) -> None:
    flight_times_notify(
        flight=flight,
        old_departs_at=old_departs_at,
        old_arrives_at=old_arrives_at,
        old_origin=kwargs.get("old_origin"),
        old_destination=kwargs.get("old_destination"),
    )
