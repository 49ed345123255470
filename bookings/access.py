"""Who may open a booking: its owner when signed in, or anyone who proved in this browser
session that they know its reference and a passenger's last name ("Manage booking")."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from . import selectors
from .models import Booking

MANAGED_SESSION_KEY = "managed_bookings"


def grant_managed(request, booking: Booking) -> None:
    """Remember in this session that the visitor may manage `booking`. The session key is
    rotated, as on a login, so a session id planted before cannot inherit the grant."""
    granted = list(request.session.get(MANAGED_SESSION_KEY, []))
    if booking.pk not in granted:
        granted.append(booking.pk)
    request.session.cycle_key()
    request.session[MANAGED_SESSION_KEY] = granted[-20:]


def _managed_ids(request) -> list[int]:
    return request.session.get(MANAGED_SESSION_KEY, [])


def booking_for_request(request, reference: str) -> Booking:
    """The booking, with its details, if this visitor may see it; Http404 otherwise (the
    same answer whether it does not exist or is someone else's)."""
    try:
        booking = selectors.booking_by_reference(reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    owner = request.user.is_authenticated and booking.user_id == request.user.pk
    if not owner and booking.pk not in _managed_ids(request):
        raise Http404("No booking with that reference.")
    return booking


def booking_visitor_required(view):
    """Signed-in users, or visitors who have opened a booking through Manage booking; anyone
    else goes to the login page first."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and not _managed_ids(request):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper
