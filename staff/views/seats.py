"""The seat view: a flight's cabin as passengers see it, with who holds or has bought each seat."""

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from bookings.selectors_seats import flight_seats
from flights.models import Flight

from ..decorators import staff_required


@staff_required
@require_safe
def seat_view(request, flight_id: int):
    flight = get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)
    now = timezone.now()  # the page says when it was drawn: a printout goes stale
    context = {"flight": flight, "seats": flight_seats(flight=flight, now=now), "now": now}
    return render(request, "staff/flight_seats.html", context)
