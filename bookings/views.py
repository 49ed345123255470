import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import staff_required
from flights import seating
from flights.models import Flight
from flights.selectors import flights_by_number_on_local_day

from . import selectors, services
from .exceptions import BookingError, SeatTaken
from .forms import BookingForm, ManifestLookupForm, passenger_count
from .models import Booking


def _bookable_flight(flight_id: int) -> Flight:
    return get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)


def _seat_map(flight: Flight, taken: set[str]) -> list[tuple[int, list[dict]]]:
    """The cabin for the seat map: each row's seats with their state."""
    return [
        (row, [{"seat": seat, "taken": seat.label in taken} for seat in seats])
        for row, seats in seating.rows(flight.capacity, flight.layout)
    ]


@require_http_methods(["GET", "POST"])
def flight_book(request, flight_id: int):
    """The flight page: live seats left, the seat map and the passenger form. POST books
    (signed-in only). A seat taken meanwhile re-shows the fresh map with nearby free seats,
    keeping everything else the passenger typed."""
    flight = _bookable_flight(flight_id)
    taken = selectors.taken_seats(flight_id=flight.pk)
    free = seating.free_seats(flight.capacity, flight.layout, taken)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        count = passenger_count(request.POST.get("passengers"))
        form = BookingForm(request.POST, passengers=count, free_seats=free, cabin_labels=flight.seat_labels())
        if not form.is_valid() and "token" in form.errors:
            # Re-render with a fresh one-time token so that the corrected form can be sent.
            form.data = form.data.copy()
            form.data["token"] = str(uuid.uuid4())
        elif form.is_valid():
            try:
                booking = services.booking_create(
                    user=request.user,
                    flight_id=flight.pk,
                    passenger_names=form.passenger_names(),
                    token=form.cleaned_data["token"],
                    seats=form.chosen_seats(),
                )
            except SeatTaken as error:
                flight.refresh_from_db()
                taken = selectors.taken_seats(flight_id=flight.pk)
                free = seating.free_seats(flight.capacity, flight.layout, taken)
                form = _form_after_seat_clash(request, count, free, error, flight)
            except BookingError as error:
                messages.error(request, error.message)
                flight.refresh_from_db()
            else:
                messages.success(request, f"Booked! Your booking reference is {booking.reference}.")
                return redirect("bookings:detail", reference=booking.reference)
    else:
        count = passenger_count(request.GET.get("passengers"))
        form = BookingForm(passengers=count, free_seats=free)
    open_for_booking = not flight.is_cancelled and flight.departs_at > timezone.now()
    return render(
        request,
        "bookings/flight_book.html",
        {
            "flight": flight,
            "form": form,
            "passengers": count,
            "total": flight.price * count,
            "open_for_booking": open_for_booking,
            "enough_seats": flight.seats_left >= count,
            "passenger_choices": range(1, settings.MAX_PASSENGERS_PER_BOOKING + 1),
            "seat_map": _seat_map(flight, taken),
        },
    )


def _form_after_seat_clash(request, count: int, free, error: SeatTaken, flight: Flight) -> BookingForm:
    """The submitted form again, on the fresh map: each lost seat cleared, with the nearest
    free alternatives named on that passenger's seat field; names and other seats kept."""
    data = request.POST.copy()
    form = BookingForm(data, passengers=count, free_seats=free, cabin_labels=flight.seat_labels())
    lost = {}
    for index in range(1, count + 1):
        if data.get(f"seat_{index}") in error.seats:
            lost[index] = data[f"seat_{index}"]
            data[f"seat_{index}"] = ""
    form.is_valid()
    by_label = seating.seats_by_label(flight.capacity, flight.layout)
    kept = {data.get(f"seat_{index}") for index in range(1, count + 1)}
    open_seats = [seat for seat in free if seat.label not in kept]  # not one the party already has
    for index, label in lost.items():
        others = ", ".join(seat.label for seat in seating.nearest_free(by_label[label], open_seats))
        form.add_error(
            f"seat_{index}",
            f"Seat {label} was just taken by someone else."
            + (f" Nearby free seats: {others}." if others else " Choose another seat."),
        )
    return form


@login_required
def booking_list(request):
    return render(
        request,
        "bookings/booking_list.html",
        {
            "upcoming": selectors.bookings_upcoming(user=request.user),
            "past": selectors.bookings_past(user=request.user),
        },
    )


@login_required
def booking_detail(request, reference: str):
    try:
        booking = selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404("No booking with that reference.") from None
    can_cancel = not booking.is_cancelled and booking.flight.departs_at > timezone.now()
    return render(request, "bookings/booking_detail.html", {"booking": booking, "can_cancel": can_cancel})


@login_required
@require_POST
def booking_cancel(request, reference: str):
    booking = get_object_or_404(Booking, reference=reference.upper(), user=request.user)
    was_cancelled = booking.is_cancelled
    try:
        services.booking_cancel(user=request.user, booking_id=booking.pk)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        if was_cancelled:
            messages.info(request, f"Booking {booking.reference} was already cancelled.")
        else:
            messages.success(request, f"Booking {booking.reference} is cancelled. We have e-mailed you a confirmation.")
    return redirect("bookings:detail", reference=booking.reference)


@staff_required
def staff_manifest_lookup(request):
    """Pick a flight by number and local departure date; one match opens its manifest."""
    form = ManifestLookupForm(request.GET or None)
    flights = None
    if form.is_bound and form.is_valid():
        flights = flights_by_number_on_local_day(number=form.cleaned_data["number"], day=form.cleaned_data["date"])
        if len(flights) == 1:
            return redirect("bookings:staff_manifest", flight_id=flights[0].pk)
    return render(request, "bookings/manifest_lookup.html", {"form": form, "flights": flights})


@staff_required
def staff_manifest(request, flight_id: int):
    flight = _bookable_flight(flight_id)
    tickets = selectors.flight_manifest(flight=flight)
    active = [ticket for ticket in tickets if ticket.status == ticket.Status.ACTIVE]
    return render(
        request, "bookings/flight_manifest.html", {"flight": flight, "tickets": tickets, "active_count": len(active)}
    )


@staff_required
@require_http_methods(["GET", "POST"])
def staff_flight_remove(request, flight_id: int):
    """Confirm, then delete an unbooked flight or cancel a booked one (and tell its passengers)."""
    flight = _bookable_flight(flight_id)
    if request.method == "POST":
        if flight.is_cancelled:
            messages.info(request, f"Flight {flight.number} was already cancelled.")
            return redirect("flights:staff_list")
        try:
            outcome = services.flight_remove(flight_id=flight.pk)
        except BookingError as error:
            messages.error(request, error.message)
            return redirect("bookings:staff_flight_remove", flight_id=flight.pk)
        if outcome == "deleted":
            messages.success(request, f"Flight {flight.number} had no bookings and was deleted.")
        else:
            messages.success(request, f"Flight {flight.number} is cancelled; its passengers are being e-mailed.")
        return redirect("flights:staff_list")
    confirmed = flight.bookings.filter(status=Booking.Status.CONFIRMED).count()
    has_history = flight.bookings.exists()
    return render(
        request,
        "bookings/flight_remove_confirm.html",
        {"flight": flight, "confirmed": confirmed, "has_history": has_history},
    )
