"""Checkout and trips: holds, bookings, cancellations (quote, then confirm), the calendar
file and e-tickets, exports. Every write is a service call from bookings.services, the same
ones the site's pages call; the owner check is in each query (another user's: 404)."""

import posixpath

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from booking_site.lib.http import client_address, client_network
from bookings import selectors, services
from bookings.eticket import booking_ics, ticket_qr_payload
from bookings.fares import refund_due
from bookings.models import Booking, BookingExport, Ticket
from bookings.services import exports
from bookings.services.checkout import check_hold_live
from flights.models import Flight

from .. import services as api_services
from ..errors import ApiError
from ..exceptions import NotOnBooking
from ..idempotency import derived_token, idempotent
from ..models import CancellationQuote
from ..pagination import CursorPages
from ..schema import problem_codes
from ..serializers.bookings import (
    BookingCreateSerializer,
    BookingSerializer,
    CancellationCreateSerializer,
    CancellationSerializer,
    ExportSerializer,
    HoldCreateSerializer,
    HoldSerializer,
)
from ..serializers.common import FlightSerializer, absolute
from .flights import flight_or_404

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description="A unique value per request you mean to make once (a UUID). A retry with the same "
    "key and body replays the first response for 24 hours.",
)


def _owned_booking(request, reference: str) -> Booking:
    try:
        return selectors.booking_for_owner(user=request.user, reference=reference)
    except Booking.DoesNotExist:
        raise Http404 from None


# Holds ---------------------------------------------------------------------------------------


class HoldPages(CursorPages):
    ordering = ("hold_expires_at", "pk")


class HoldList(ListAPIView):
    serializer_class = HoldSerializer
    pagination_class = HoldPages

    def get_queryset(self):
        return selectors.bookings_on_hold(user=self.request.user)

    @extend_schema(
        operation_id="holds_list",
        summary="My open holds",
        description="Holds still holding seats, the first to run out first.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="holds_create",
        summary="Hold seats on a flight",
        description="Holds one seat per passenger for a few minutes (`expires_at`): chosen seats, or "
        "the party seated together. Held seats count as taken for everyone else. Book them with "
        "POST /bookings before the hold runs out, or release them with DELETE.",
        parameters=[IDEMPOTENCY_HEADER],
        request=HoldCreateSerializer,
        responses={201: HoldSerializer},
        examples=[OpenApiExample("Two passengers", value={"flight": 42, "passengers": 2}, request_only=True)],
    )
    @problem_codes("sold_out", "seat_taken", "seat_unknown", "booking_closed", "hold_limit_reached", "busy")
    @idempotent
    def post(self, request):
        serializer = HoldCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            booking = services.booking_hold(
                user=request.user,
                flight_id=data["flight"],
                seats=data["seats"],
                token=derived_token(request),
                client=client_network(client_address(request)),
            )
        except Flight.DoesNotExist:
            raise serializers.ValidationError({"flight": ["There is no flight with this id."]}) from None
        booking.flight = flight_or_404(booking.flight_id)
        response = Response(HoldSerializer(booking, context={"request": request}).data, status=status.HTTP_201_CREATED)
        response["Location"] = absolute(request, "api:hold", booking.reference)
        return response


class HoldDetail(APIView):
    @extend_schema(operation_id="holds_retrieve", summary="A hold", responses=HoldSerializer)
    def get(self, request, reference: str):
        return Response(HoldSerializer(_owned_booking(request, reference), context={"request": request}).data)

    @extend_schema(
        operation_id="holds_release",
        summary="Release a hold",
        description="The seats go back at once. Releasing a hold that already ran out (or was booked) changes nothing.",
        responses={204: None},
    )
    @problem_codes("busy")
    def delete(self, request, reference: str):
        booking = _owned_booking(request, reference)
        services.booking_release(user=request.user, booking_id=booking.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Bookings ------------------------------------------------------------------------------------


class BookingPages(CursorPages):
    ordering = ("-created_at", "-pk")


class BookingList(ListAPIView):
    serializer_class = BookingSerializer
    pagination_class = BookingPages

    def get_queryset(self):
        return selectors.bookings_listed(user=self.request.user)

    @extend_schema(
        operation_id="bookings_list",
        summary="My bookings",
        description="Paid bookings and their history (cancelled ones too), newest first, by cursor.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="bookings_create",
        summary="Book: name the passengers of a hold and pay",
        description="Consumes the hold: on success the booking is confirmed, the tickets issued "
        "and the confirmation e-mailed. A declined card keeps the hold (try another card); an "
        "expired hold is `hold_expired` (hold again).",
        parameters=[IDEMPOTENCY_HEADER],
        request=BookingCreateSerializer,
        responses={201: BookingSerializer},
        examples=[
            OpenApiExample(
                "Book",
                value={
                    "hold": "K7QX2M",
                    "passengers": [{"first_names": "Ada", "last_name": "Lovelace"}],
                    "payment": {
                        "card": {"number": "4242424242424242", "expiry": "12/30", "cvc": "123", "holder": "A Lovelace"}
                    },
                },
                request_only=True,
            )
        ],
    )
    @problem_codes("hold_expired", "booking_closed", "payment_declined", "checkout_incomplete", "booking_error", "busy")
    @idempotent
    def post(self, request):
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            booking = selectors.booking_for_owner(user=request.user, reference=serializer.validated_data["hold"])
        except Booking.DoesNotExist:
            raise serializers.ValidationError({"hold": ["You have no hold with this id."]}) from None
        if booking.status != Booking.Status.CONFIRMED:
            check_hold_live(booking)  # before the forms: an ended hold says so, not "bad names"
            passengers, card = serializer.checkout(booking)
            services.booking_set_passengers(user=request.user, booking_id=booking.pk, passengers=passengers)
            services.booking_pay(user=request.user, booking_id=booking.pk, card=card)
        booking = selectors.booking_for_owner(user=request.user, reference=booking.reference)
        response = Response(BookingSerializer(booking, context={"request": request}).data, status=201)
        response["Location"] = absolute(request, "api:booking", booking.reference)
        return response


class BookingDetail(APIView):
    @extend_schema(operation_id="bookings_retrieve", summary="A booking", responses=BookingSerializer)
    def get(self, request, reference: str):
        booking = _owned_booking(request, reference)
        if booking.confirmed_at is None:  # a checkout (a hold), never paid: see /holds
            raise Http404
        return Response(BookingSerializer(booking, context={"request": request}).data)


class FileDownload(APIView):
    """A view answering with a file (not JSON) on success: any Accept is fine; its errors are
    still problem+json."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class BookingCalendar(FileDownload):
    @extend_schema(
        operation_id="bookings_calendar",
        summary="The booking's flight as an iCalendar file",
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
    )
    def get(self, request, reference: str):
        booking = _owned_booking(request, reference)
        if booking.status != Booking.Status.CONFIRMED:
            raise Http404
        response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{booking.reference}.ics"'
        return response


class ETicketSerializer(serializers.Serializer):
    booking = serializers.CharField()
    ticket = serializers.IntegerField()
    passenger_name = serializers.CharField()
    seat = serializers.CharField()
    flight = FlightSerializer()
    barcode = serializers.CharField(help_text="What the boarding QR code encodes")
    page = serializers.CharField(help_text="The printable e-ticket on the site")


class ETicket(APIView):
    @extend_schema(operation_id="bookings_eticket", summary="One passenger's e-ticket", responses=ETicketSerializer)
    def get(self, request, reference: str, ticket_id: int):
        booking = _owned_booking(request, reference)
        try:
            ticket = selectors.ticket_active_for_booking(booking=booking, ticket_id=ticket_id)
        except Ticket.DoesNotExist:
            raise Http404 from None
        return Response(
            {
                "booking": booking.reference,
                "ticket": ticket.pk,
                "passenger_name": ticket.passenger_name,
                "seat": ticket.seat,
                "flight": FlightSerializer(ticket.flight, context={"request": request}).data,
                "barcode": ticket_qr_payload(ticket),
                "page": request.build_absolute_uri(reverse("bookings:eticket", args=[booking.reference, ticket.pk])),
            }
        )


# Cancellations -------------------------------------------------------------------------------


def _quoted_passengers(quote: CancellationQuote, tickets: dict[int, Ticket], refunds: dict[int, object]) -> list:
    return [
        {
            "id": ticket_id,
            "passenger_name": tickets[ticket_id].passenger_name,
            "seat": tickets[ticket_id].seat,
            "refund": {"amount": f"{refunds[ticket_id]:.2f}", "currency": settings.CURRENCY},
        }
        for ticket_id in quote.ticket_ids
    ]


def _quote_data(request, quote: CancellationQuote, booking: Booking) -> dict:
    tickets = {ticket.pk: ticket for ticket in booking.tickets.all()}
    refunds = {
        pk: ticket.refund_amount
        if ticket.refund_amount is not None and quote.status == CancellationQuote.Status.CONFIRMED
        else refund_due(ticket.price, departs_at=booking.flight.departs_at, at=quote.created_at)
        for pk, ticket in tickets.items()
    }
    quote.quoted_passengers = _quoted_passengers(quote, tickets, refunds)
    quote.booking = booking
    return CancellationSerializer(quote, context={"request": request}).data


class CancellationList(APIView):
    @extend_schema(
        operation_id="cancellations_quote",
        summary="Quote a cancellation",
        description="The refund for cancelling the chosen passengers (all when left out) now, valid "
        f"for {api_services.QUOTE_MINUTES} minutes. Nothing changes until you confirm it.",
        request=CancellationCreateSerializer,
        responses={201: CancellationSerializer},
    )
    @problem_codes("cancellation_closed", "nothing_to_cancel")
    def post(self, request, reference: str):
        booking = _owned_booking(request, reference)
        serializer = CancellationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            quote = api_services.cancellation_quote_create(
                booking=booking, ticket_ids=serializer.validated_data.get("passengers")
            )
        except NotOnBooking as error:
            raise serializers.ValidationError({"passengers": [error.message]}) from None
        response = Response(_quote_data(request, quote, booking), status=status.HTTP_201_CREATED)
        response["Location"] = absolute(request, "api:cancellation", booking.reference, quote.pk)
        return response


def _owned_quote(request, reference: str, quote_id) -> tuple[Booking, CancellationQuote]:
    booking = _owned_booking(request, reference)
    return booking, get_object_or_404(CancellationQuote, pk=quote_id, booking=booking)


class CancellationDetail(APIView):
    @extend_schema(
        operation_id="cancellations_retrieve", summary="A cancellation quote", responses=CancellationSerializer
    )
    def get(self, request, reference: str, quote_id):
        booking, quote = _owned_quote(request, reference, quote_id)
        return Response(_quote_data(request, quote, booking))


class CancellationConfirm(APIView):
    @extend_schema(
        operation_id="cancellations_confirm",
        summary="Confirm a quoted cancellation",
        description="Cancels the quoted passengers for the quoted refund: their seats go back, the "
        "refund goes to the card, an e-mail confirms it. A quote past `expires_at`, or whose "
        "refund would now differ, is `quote_expired`: ask for a new one.",
        parameters=[IDEMPOTENCY_HEADER],
        request=None,
        responses={200: CancellationSerializer},
    )
    @problem_codes("quote_expired", "cancellation_closed", "busy")
    @idempotent
    def post(self, request, reference: str, quote_id):
        _owned_quote(request, reference, quote_id)  # 404 for anyone else's
        quote = api_services.cancellation_quote_confirm(user=request.user, quote_id=quote_id)
        return Response(_quote_data(request, quote, _owned_booking(request, reference)))


# Exports -------------------------------------------------------------------------------------


class ExportList(APIView):
    @extend_schema(
        operation_id="exports_create",
        summary="Export my bookings as CSV",
        description="Starts the export (or returns the one already running: one at a time). Poll "
        "GET /exports/{id} until `status` is done, then fetch `download`.",
        request=None,
        responses={202: ExportSerializer},
    )
    def post(self, request):
        export, _started = exports.export_start(user=request.user)
        response = Response(ExportSerializer(export, context={"request": request}).data, status=202)
        response["Location"] = absolute(request, "api:export", export.pk)
        return response


class ExportDetail(APIView):
    @extend_schema(operation_id="exports_retrieve", summary="An export's progress", responses=ExportSerializer)
    def get(self, request, export_id: int):
        export = get_object_or_404(BookingExport, pk=export_id, user=request.user)
        return Response(ExportSerializer(export, context={"request": request}).data)


class ExportDownload(FileDownload):
    @extend_schema(
        operation_id="exports_download",
        summary="The export's CSV file",
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    @problem_codes("export_not_ready", "export_expired", "export_failed")
    def get(self, request, export_id: int):
        export = get_object_or_404(BookingExport, pk=export_id, user=request.user)
        if export.is_expired(timezone.now()):
            exports.export_expire(export_id=export.pk)
            raise ApiError("export_expired", "This export has expired and its file was deleted. Start a new one.")
        if export.status == BookingExport.Status.FAILED:
            raise ApiError("export_failed", "This export failed. Start a new one.")
        if export.status != BookingExport.Status.DONE:
            raise ApiError("export_not_ready", "The export is not ready yet; poll it until status is done.")
        try:
            handle = export.file.open("rb")
        except FileNotFoundError:
            raise ApiError("export_expired", "This export's file is gone. Start a new one.") from None
        return FileResponse(
            handle, as_attachment=True, filename=posixpath.basename(export.file.name), content_type="text/csv"
        )
