"""Holds, bookings, cancellation quotes and exports. Field rules come from the site's forms
(bookings.forms): the API maps its JSON onto them and their errors back onto its fields."""

import re

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.fares import cancellation_deadline
from bookings.forms import PassengerForm, PaymentForm
from bookings.models import Booking, Ticket

from .common import FlightSerializer, MoneySerializer, absolute, money, run_form

SEAT_LABEL = re.compile(r"[0-9]{1,3}[A-Z]")


class SeatLabelField(serializers.CharField):
    """A seat label like 12A (any case)."""

    default_error_messages = {"invalid": "A seat is a row number and a letter, like 12A."}

    def __init__(self, **kwargs):
        super().__init__(max_length=4, **kwargs)

    def to_internal_value(self, data):
        label = super().to_internal_value(data).strip().upper()
        if not SEAT_LABEL.fullmatch(label):
            self.fail("invalid")
        return label


class HoldCreateSerializer(serializers.Serializer):
    flight = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The flight's id")
    passengers = serializers.IntegerField(
        min_value=1, max_value=settings.MAX_PASSENGERS_PER_BOOKING, help_text="Party size"
    )
    seats = serializers.ListField(
        child=SeatLabelField(allow_null=True),
        required=False,
        max_length=settings.MAX_PASSENGERS_PER_BOOKING,
        help_text="Optional: a seat label (or null: choose for me) per passenger. Without it, the party sits together.",
    )

    def validate(self, data):
        seats = data.get("seats")
        if seats is None:
            data["seats"] = [None] * data["passengers"]
            return data
        if len(seats) != data["passengers"]:
            raise serializers.ValidationError({"seats": [f"Give one entry per passenger ({data['passengers']})."]})
        chosen = [seat for seat in seats if seat]
        if len(set(chosen)) != len(chosen):
            raise serializers.ValidationError({"seats": ["A seat is chosen twice."]})
        return data


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seat = serializers.CharField()
    passenger_name = serializers.CharField(help_text="Empty until the passengers are named")
    status = serializers.ChoiceField(choices=Ticket.Status.values)
    price = serializers.SerializerMethodField()
    refund = serializers.SerializerMethodField(help_text="Set once cancelled")
    eticket = serializers.SerializerMethodField(help_text="The e-ticket (GET, JSON), once active")

    @extend_schema_field(MoneySerializer)
    def get_price(self, ticket):
        return money(ticket.price)

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_refund(self, ticket):
        return money(ticket.refund_amount)

    def get_eticket(self, ticket) -> str | None:
        if ticket.status != Ticket.Status.ACTIVE or ticket.booking.status != Booking.Status.CONFIRMED:
            return None
        return absolute(self.context["request"], "api:eticket", ticket.booking.reference, ticket.pk)


class HoldSerializer(serializers.Serializer):
    id = serializers.CharField(source="reference", help_text="The hold's id: the booking reference to be")
    status = serializers.SerializerMethodField(help_text="held; expired once it ran out or was released; booked")
    flight = FlightSerializer()
    seats = serializers.SerializerMethodField()
    passengers = serializers.IntegerField(source="seat_count")
    expires_at = serializers.DateTimeField(source="hold_expires_at")
    total = serializers.SerializerMethodField()

    def get_status(self, booking) -> str:
        if booking.status == Booking.Status.HELD:
            return "held" if booking.hold_expires_at > timezone.now() else "expired"
        return {Booking.Status.CONFIRMED: "booked"}.get(booking.status, "expired")

    def get_seats(self, booking) -> list[str]:
        held = getattr(booking, "held_seats", None)  # a hold just made says which (booking_hold)
        return held or [ticket.seat for ticket in sorted(booking.tickets.all(), key=lambda t: t.pk)]

    @extend_schema_field(MoneySerializer)
    def get_total(self, booking):
        return money(booking.total_price)


class PassengerSerializer(serializers.Serializer):
    first_names = serializers.CharField(max_length=60, allow_blank=True, default="", help_text="Given names")
    last_name = serializers.CharField(max_length=38, allow_blank=True, help_text="As on the passport")
    date_of_birth = serializers.DateField(required=False, allow_null=True, help_text="When the site asks for it")


class CardSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40, allow_blank=True, help_text="Test cards: docs/payments.md")
    expiry = serializers.CharField(max_length=7, allow_blank=True, help_text="MM/YY")
    cvc = serializers.CharField(max_length=4, allow_blank=True)
    holder = serializers.CharField(max_length=100, allow_blank=True, help_text="Name on card")


class PaymentSerializer(serializers.Serializer):
    card = CardSerializer()


class BookingCreateSerializer(serializers.Serializer):
    hold = serializers.RegexField(r"^[A-Za-z0-9]{6}$", help_text="The hold's id")
    passengers = PassengerSerializer(
        many=True,
        min_length=1,
        max_length=settings.MAX_PASSENGERS_PER_BOOKING,
        help_text="One per held seat, in seat order",
    )
    payment = PaymentSerializer()

    def checkout(self, booking: Booking) -> tuple[list, object]:
        """(passengers, card), checked by the site's checkout forms: every error at once."""
        errors = {}
        results = []
        for check in (self._passengers_for, self._card):
            try:
                results.append(check(booking))
            except serializers.ValidationError as error:
                errors.update(error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return results[0], results[1]

    def _passengers_for(self, booking: Booking):
        """The passengers, checked by the site's passenger form against the held seats."""
        tickets = [t for t in sorted(booking.tickets.all(), key=lambda t: t.pk) if t.status == Ticket.Status.HELD]
        given = self.validated_data["passengers"]
        if len(given) != len(tickets):
            raise serializers.ValidationError({"passengers": [f"Give all {len(tickets)} passengers, in seat order."]})
        data = {}
        for index, passenger in enumerate(given, start=1):
            data[f"first_names_{index}"] = passenger.get("first_names", "")
            data[f"last_name_{index}"] = passenger.get("last_name", "")
            born = passenger.get("date_of_birth")
            data[f"date_of_birth_{index}"] = born.isoformat() if born else ""
        form = PassengerForm(data, tickets=tickets, ask_date_of_birth=settings.ASK_DATE_OF_BIRTH)
        names = {
            f"{field}_{index}": f"passengers.{index - 1}.{field}"
            for index in range(1, len(tickets) + 1)
            for field in ("first_names", "last_name", "date_of_birth")
        }
        run_form(form, names=names)
        return form.passengers()

    def _card(self, booking: Booking):
        card = self.validated_data["payment"]["card"]
        form = PaymentForm(card)
        run_form(form, names={name: f"payment.card.{name}" for name in ("number", "expiry", "cvc", "holder")})
        return form.card()


class PaymentSummarySerializer(serializers.Serializer):
    card_brand = serializers.CharField()
    card_last4 = serializers.CharField()
    amount = serializers.SerializerMethodField()
    refunded = serializers.SerializerMethodField()

    @extend_schema_field(MoneySerializer)
    def get_amount(self, payment):
        return money(payment.amount)

    @extend_schema_field(MoneySerializer)
    def get_refunded(self, payment):
        return money(payment.refunded_amount)


class BookingSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=["confirmed", "cancelled", "held", "expired"])
    flight = FlightSerializer()
    passengers = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancellable_until = serializers.SerializerMethodField(help_text="Online cancellation closes then")
    links = serializers.SerializerMethodField()

    @extend_schema_field(TicketSerializer(many=True))
    def get_passengers(self, booking):
        tickets = sorted(booking.tickets.all(), key=lambda t: t.pk)
        return TicketSerializer(tickets, many=True, context=self.context).data

    @extend_schema_field(MoneySerializer)
    def get_total(self, booking):
        return money(booking.total_price)

    @extend_schema_field(PaymentSummarySerializer(allow_null=True))
    def get_payment(self, booking):
        payment = getattr(booking, "payment", None) if booking.status != Booking.Status.HELD else None
        return PaymentSummarySerializer(payment).data if payment else None

    def get_cancellable_until(self, booking) -> str:
        return serializers.DateTimeField().to_representation(cancellation_deadline(booking.flight.departs_at))

    @extend_schema_field(
        {
            "type": "object",
            "properties": {name: {"type": "string"} for name in ("self", "calendar", "cancellations", "page")},
        }
    )
    def get_links(self, booking) -> dict:
        request = self.context["request"]
        return {
            "self": absolute(request, "api:booking", booking.reference),
            "cancellations": absolute(request, "api:cancellations", booking.reference),
            "calendar": absolute(request, "api:booking_calendar", booking.reference),
            "page": absolute(request, "bookings:detail", booking.reference),
        }


class CancellationCreateSerializer(serializers.Serializer):
    passengers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        min_length=1,
        max_length=settings.MAX_PASSENGERS_PER_BOOKING,
        help_text="Ticket ids to cancel; all passengers when left out",
    )


class QuotedPassengerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    passenger_name = serializers.CharField()
    seat = serializers.CharField()
    refund = MoneySerializer()


class CancellationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    booking = serializers.CharField(source="booking.reference")
    status = serializers.ChoiceField(choices=["quoted", "confirmed"])
    passengers = QuotedPassengerSerializer(many=True, source="quoted_passengers")
    refund_total = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(MoneySerializer)
    def get_refund_total(self, quote):
        return money(quote.refund_total)


class ExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["pending", "running", "done", "failed", "expired"])
    done = serializers.IntegerField(source="progress_done", help_text="Bookings written so far")
    total = serializers.IntegerField(source="progress_total")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="The file is deleted then")
    download = serializers.SerializerMethodField(help_text="The CSV (signed in), once status is done")

    def get_download(self, export) -> str | None:
        if export.status != "done":
            return None
        return absolute(self.context["request"], "api:export_download", export.pk)
