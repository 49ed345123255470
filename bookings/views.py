import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import get_text_list
from django.views.decorators.http import require_http_methods, require_safe

from booking_site.lib.http import client_address, client_network
from flights import seating
from flights.models import Flight
from flights.templatetags.flight_format import money

from . import selectors, services
from .access import booking_for_request, booking_visitor_required
from .exceptions import BookingError, CancellationClosed, HoldLimitReached, SeatTaken
from .fares import cancellation_deadline, fare_rule_text, refund_due
from .forms import CancelForm, SeatForm, passenger_count
from .models import Booking
from .payments import REFUND_ARRIVES_WITHIN, card_words
from .views_checkout import checkout_url


def _bookable_flight(flight_id: int) -> Flight:
    return get_object_or_404(Flight.objects.select_related("origin", "destination"), pk=flight_id)


@require_http_methods(["GET", "POST"])
def flight_book(request, flight_id: int):
    """The flight page and checkout step 1: live seats left, the seat map and a seat per
    passenger. POST (signed-in only) holds the seats and goes on to the passenger details.
    A seat taken meanwhile re-shows the fresh map with nearby free seats, keeping the rest."""
    flight = _bookable_flight(flight_id)
    taken = selectors.taken_seats(flight_id=flight.pk)
    free = seating.free_seats(flight.capacity, flight.layout, taken)
    lost: list[str] = []
    if request.method == "POST":
        if not request.user.is_authenticated:
            return _account_first(request, flight)
        count = passenger_count(request.POST.get("passengers"))
        form = SeatForm(request.POST, passengers=count, free_seats=free, cabin_labels=flight.seat_labels())
        if not form.is_valid() and "token" in form.errors:
            # Re-render with a fresh one-time token so that the corrected form can be sent.
            form.data = form.data.copy()
            form.data["token"] = str(uuid.uuid4())
        elif form.is_valid():
            try:
                booking = services.booking_hold(
                    user=request.user,
                    flight_id=flight.pk,
                    seats=form.chosen_seats(),
                    token=form.cleaned_data["token"],
                    client=client_network(client_address(request)),
                )
            except SeatTaken as error:
                taken = selectors.taken_seats(flight_id=flight.pk)
                free = seating.free_seats(flight.capacity, flight.layout, taken)
                form = _form_after_seat_clash(request, count, free, error, flight)
            except BookingError as error:
                messages.error(request, error.message)
                if isinstance(error, HoldLimitReached) and error.open_reference:
                    # Back to the checkout this account already has open on this flight.
                    open_booking = selectors.booking_for_owner(user=request.user, reference=error.open_reference)
                    return redirect(checkout_url(open_booking))
                flight.refresh_from_db()
                taken = selectors.taken_seats(flight_id=flight.pk)
            else:
                return redirect(checkout_url(booking))
    else:
        count = passenger_count(request.GET.get("passengers"))
        initial, lost = _seats_from_query(request.GET, count, free, flight)
        form = SeatForm(passengers=count, free_seats=free, initial=initial)
    seats_left = max(flight.capacity - len(taken), 0)
    return render(
        request,
        "bookings/flight_book.html",
        {
            "flight": flight,
            "form": form,
            "passengers": count,
            "total": flight.price * count,
            "seats_left": seats_left,
            "open_for_booking": not flight.is_cancelled and flight.departs_at > timezone.now(),
            "enough_seats": seats_left >= count,
            "passenger_choices": range(1, settings.MAX_PASSENGERS_PER_BOOKING + 1),
            "seat_map": selectors.flight_seat_map(flight=flight, taken=taken, chosen=_chosen_seats(form)),
            "lost_seats": get_text_list(lost, "and"),
            "lost_count": len(lost),
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
        },
    )


def _account_first(request, flight: Flight):
    """The flight page's "Log in to book" or "Sign up" (an anonymous visitor's POST): to that
    page, with a `next` that brings the visitor back to this flight with the
    party size and the seats chosen, as the query `_seats_from_query` reads."""
    count = passenger_count(request.POST.get("passengers"))
    cabin = set(flight.seat_labels())
    query = {"passengers": count}
    for index in range(1, count + 1):
        label = request.POST.get(f"seat_{index}", "")
        if label in cabin:
            query[f"seat_{index}"] = label
    back = f"{reverse('bookings:book', args=[flight.pk])}?{urlencode(query)}"
    # Which button: in the action's query (a button's own name and value would be lost when
    # site.js disables the buttons against a double submit).
    account_page = "accounts:signup" if request.GET.get("account") == "signup" else "accounts:login"
    return redirect_to_login(back, reverse(account_page))


def _seats_from_query(query, count: int, free, flight: Flight) -> tuple[dict[str, str], list[str]]:
    """The seats a link to the flight page names (`seat_1=7C&seat_2=7D`, as after logging in):
    (initial values for the seat fields that are still free, the labels taken meanwhile).
    Anything else (no such seat, the same seat twice) is left out: that passenger's field
    starts at "Choose for me"."""
    free_labels = {seat.label for seat in free}
    cabin = set(flight.seat_labels())
    initial, lost = {}, []
    for index in range(1, count + 1):
        label = query.get(f"seat_{index}", "").strip().upper()
        if label in free_labels and label not in initial.values():
            initial[f"seat_{index}"] = label
        elif label in cabin and label not in free_labels:
            lost.append(label)
    return initial, lost


def _chosen_seats(form: SeatForm) -> dict[str, int]:
    """Seat label -> passenger number (from 1) for the seats the form has chosen, so that the
    map shows them as the party's before any script runs."""
    chosen: dict[str, int] = {}
    for index, field in enumerate(form.seat_fields(), start=1):
        label = field.value()
        if label and label not in chosen:
            chosen[label] = index
    return chosen


def _form_after_seat_clash(request, count: int, free, error: SeatTaken, flight: Flight) -> SeatForm:
    """The submitted form again, on the fresh map: each lost seat cleared, with the nearest
    free alternatives named on that passenger's seat field; the other seats kept."""
    data = request.POST.copy()
    form = SeatForm(data, passengers=count, free_seats=free, cabin_labels=flight.seat_labels())
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
        others = [seat.label for seat in seating.nearest_free(by_label[label], open_seats)]
        nearby = f" Nearby free seat{pluralize(others)}: {', '.join(others)}." if others else " Choose another seat."
        form.add_error(f"seat_{index}", f"Seat {label} was just taken by someone else.{nearby}")
    if not lost:  # taken in the race, but not one the passenger chose: say so plainly
        form.add_error(None, error.message)
    return form


@login_required
def booking_list(request):
    sections = selectors.bookings_by_section(user=request.user)
    return render(
        request,
        "bookings/booking_list.html",
        {
            "on_hold": selectors.bookings_on_hold(user=request.user),
            "upcoming": sections.upcoming,
            "past": sections.past,
            "cancelled": sections.cancelled,
        },
    )


@booking_visitor_required
@require_safe
def booking_detail(request, reference: str):
    booking = booking_for_request(request, reference)
    if booking.status == Booking.Status.HELD and booking.hold_expires_at > timezone.now():
        return redirect(checkout_url(booking))
    if booking.status in (Booking.Status.HELD, Booking.Status.EXPIRED):
        messages.info(request, "That seat hold has expired and the seats were released. Please choose seats again.")
        return redirect("bookings:book", flight_id=booking.flight_id)
    flight = booking.flight
    deadline = cancellation_deadline(flight.departs_at)
    now = timezone.now()
    can_cancel = booking.is_confirmed and now < deadline
    return render(
        request,
        "bookings/booking_detail.html",
        {
            "booking": booking,
            "flight": flight,
            "can_cancel": can_cancel,
            "departed": flight.departs_at <= now,
            "cancellation_deadline": deadline,
            "fare_rule": fare_rule_text(),
            "refunded": sum(ticket.refund_amount or 0 for ticket in booking.tickets.all()),
            "paid": _paid(booking),
            "refund_to": _refund_to(booking),
            "refund_within": REFUND_ARRIVES_WITHIN,
            "owner": request.user.is_authenticated and booking.user_id == request.user.pk,
        },
    )


@booking_visitor_required
@require_http_methods(["GET", "POST"])
def booking_cancel(request, reference: str):
    """Cancel some passengers or the whole booking in two steps: choose (nobody is ticked to
    begin with; the whole booking is a separate choice), then review exactly who goes and the
    refund, and confirm. Confirming everyone needs the whole-booking choice, and a refund that
    changed since the review is shown again: neither happens behind the passenger's back.
    A repeated confirm finds nothing left to cancel."""
    booking = booking_for_request(request, reference)
    active = [ticket for ticket in booking.tickets.all() if ticket.is_active]
    flight = booking.flight
    now = timezone.now()
    refusal = _cancel_refusal(booking, active, now)
    if refusal is not None:
        level, text = refusal
        if text:
            messages.add_message(request, level, text)
        return redirect("bookings:detail", reference=booking.reference)
    refunds = {ticket.pk: refund_due(ticket.price, departs_at=flight.departs_at, at=now) for ticket in active}
    context = {
        "booking": booking,
        "flight": flight,
        "fare_rule": fare_rule_text(),
        "refunds": refunds,
        "active": active,
        "refund_all": sum(refunds.values()),
        "refund_to": _refund_to(booking),
        "refund_within": REFUND_ARRIVES_WITHIN,
    }
    if request.method == "GET":
        return render(request, "bookings/booking_cancel.html", {**context, "form": CancelForm(tickets=active)})
    # Every ticket of the booking is a valid choice here: one cancelled by a first submit
    # is then "nothing left to do", not an error.
    form = CancelForm(request.POST, tickets=booking.tickets.all())
    if not form.is_valid():
        checked = {ticket.pk for ticket in active if str(ticket.pk) in request.POST.getlist("tickets")}
        return render(request, "bookings/booking_cancel.html", {**context, "form": form, "checked": checked})
    data = form.cleaned_data
    chosen = active if data["whole"] else [ticket for ticket in active if ticket.pk in data["tickets"]]
    if not chosen:
        _cancel_passengers(request, booking, [])
        return redirect("bookings:detail", reference=booking.reference)
    refund_total = sum(refunds[ticket.pk] for ticket in chosen)
    everyone = len(chosen) == len(active)
    notice = ""
    if data["confirm"] and everyone and not data["whole"]:
        notice = "Nobody else on this booking is still flying, so this cancels the whole booking."
    elif data["confirm"] and data["quoted"] and data["quoted"] != f"{refund_total:.2f}":
        notice = f"The refund has changed since you looked: it is now {money(refund_total)}."
    if not data["confirm"] or notice:
        chosen_ids = {ticket.pk for ticket in chosen}
        return render(
            request,
            "bookings/booking_cancel_review.html",
            {
                **context,
                "chosen": [(ticket, refunds[ticket.pk]) for ticket in chosen],
                "staying": [ticket for ticket in active if ticket.pk not in chosen_ids],
                "refund_total": refund_total,
                "quoted": f"{refund_total:.2f}",
                "whole": everyone,
                "notice": notice,
            },
        )
    _cancel_passengers(request, booking, [ticket.pk for ticket in chosen])
    return redirect("bookings:detail", reference=booking.reference)


def _paid(booking: Booking):
    """What the passenger was charged for this booking."""
    payment = getattr(booking, "payment", None)  # None for a booking never paid
    return payment.amount if payment is not None else booking.total_price


def _refund_to(booking: Booking) -> str:
    """ "your Visa card ending 4242": where this booking's refunds go."""
    payment = getattr(booking, "payment", None)  # None for a booking never paid
    return card_words(brand=payment.card_brand if payment else "", last4=payment.card_last4 if payment else "")


def _cancel_refusal(booking: Booking, active: list, now) -> tuple[int, str] | None:
    """(message level, text) when this booking cannot be cancelled now, None when it can."""
    if booking.status in (Booking.Status.HELD, Booking.Status.EXPIRED):
        return messages.INFO, ""  # not paid: the booking page says where that checkout stands
    if not active:
        return messages.INFO, f"Booking {booking.reference} was already cancelled."
    if now >= cancellation_deadline(booking.flight.departs_at):
        return messages.ERROR, CancellationClosed.message
    return None


def _cancel_passengers(request, booking: Booking, ticket_ids: list[int]) -> None:
    """Cancel the chosen passengers and say what happened (nothing, on a repeated submit)."""
    cancelled = []
    if ticket_ids:
        try:
            cancelled = services.booking_cancel(user=booking.user, booking_id=booking.pk, ticket_ids=ticket_ids)
        except BookingError as error:
            messages.error(request, error.message)
            return
    if not cancelled:
        messages.info(request, "Those passengers are already cancelled.")
        return
    refund = sum(ticket.refund_amount for ticket in cancelled)
    names = ", ".join(ticket.passenger_name for ticket in cancelled)
    refund_words = (
        f"A refund of {money(refund)} is on its way to {_refund_to(booking)}; "
        f"it usually arrives within {REFUND_ARRIVES_WITHIN}."
        if refund
        else "No refund is due under the fare rule."
    )
    messages.success(request, f"Cancelled: {names}. {refund_words} We have e-mailed you a confirmation.")
