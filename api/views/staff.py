"""Staff only (is_staff): the schedule (add, edit, remove flights; list them), CSV imports,
manifests, users. The rules are the staff pages': flights.forms.StaffFlightForm checks a
flight, flights.services / bookings.services change it, flights.imports runs an import."""

from datetime import datetime

import django_filters
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import users_matching
from bookings import services as booking_services
from bookings.selectors import flight_manifest
from flights import services as flight_services
from flights.forms import StaffDateField, StaffFlightForm, flight_fields
from flights.imports.parsing import ImportFileError
from flights.imports.services import flight_import_start
from flights.models import Flight, FlightImport
from flights.seating import LAYOUT_CHOICES
from flights.selectors import flights_by_number_on_local_day, flights_for_staff

from ..authentication import second_factor_shown
from ..errors import ApiError
from ..idempotency import derived_token
from ..pagination import CursorPages
from ..schema import problem_codes
from ..serializers.common import FlightSerializer, absolute, run_form
from .flights import FlightDetail as PublicFlightDetail
from .flights import FlightList as PublicFlightList
from .flights import flight_or_404, parse_query


class IsStaff(IsAdminUser):
    """Staff, signed in with a second factor (a token from password and `otp`, or a verified
    session): 403 `second_factor_required` says how to get one."""

    message = "Staff only."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if not second_factor_shown(request):
            raise ApiError(
                "second_factor_required",
                "Staff calls need two-step sign-in: get a token with your e-mail, password and `otp` "
                "(a code from your authenticator app). No app yet? Set it up on the site, under Profile.",
            )
        return True


class StaffOnly:
    permission_classes = [IsStaff]
    staff_only = True


class PublicReadStaffWrite:
    """GET for everyone (the search, a flight); writes for staff."""

    @staticmethod
    def staff_only(method: str) -> bool:
        return method not in ("GET", "HEAD", "OPTIONS")

    def get_permissions(self):
        if self.request is not None and self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [AllowAny()]
        return [IsStaff()]


# The schedule --------------------------------------------------------------------------------


LOCAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:00)?$"


class FlightWriteSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=8, help_text="Airline code and number, e.g. SK123")
    origin = serializers.CharField(max_length=3, help_text="IATA code")
    destination = serializers.CharField(max_length=3, help_text="IATA code")
    departs_local = serializers.RegexField(
        LOCAL_TIME, help_text="Local wall-clock time at the origin, no offset: 2027-03-01T08:30"
    )
    arrives_local = serializers.RegexField(LOCAL_TIME, help_text="Local time at the destination, no offset")
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, help_text="Per seat")
    capacity = serializers.IntegerField(min_value=1, max_value=600, default=settings.DEFAULT_FLIGHT_CAPACITY)
    layout = serializers.ChoiceField(choices=[key for key, _ in LAYOUT_CHOICES], required=False)

    def validate_departs_local(self, value: str) -> datetime:
        return _wall_clock(value)

    def validate_arrives_local(self, value: str) -> datetime:
        return _wall_clock(value)

    def flight_fields(self, *, flight_id: int | None = None, current: dict | None = None) -> dict:
        """Checked by the staff pages' form: the same messages, the same rules."""
        data = {**(current or {}), **self.validated_data}
        form = StaffFlightForm(
            {
                "number": data["number"],
                "origin": data["origin"],
                "destination": data["destination"],
                "departure_date": data["departs_local"].date().isoformat(),
                "departure_time": data["departs_local"].strftime("%H:%M"),
                "arrival_date": data["arrives_local"].date().isoformat(),
                "arrival_time": data["arrives_local"].strftime("%H:%M"),
                "capacity": data.get("capacity") or settings.DEFAULT_FLIGHT_CAPACITY,
                "layout": data.get("layout") or StaffFlightForm.base_fields["layout"].initial,
                "price": str(data["price"]),
            },
            flight_id=flight_id,
        )
        names = {
            "departure_date": "departs_local",
            "departure_time": "departs_local",
            "arrival_date": "arrives_local",
            "arrival_time": "arrives_local",
        }
        fields = flight_fields(run_form(form, names=names))
        # A time not sent keeps its stored instant: in the hour the clocks go back a local time
        # names two instants, and reading it back could move the flight.
        for instant, local, airport in (
            ("departs_at", "departs_local", "origin"),
            ("arrives_at", "arrives_local", "destination"),
        ):
            unchanged = local not in self.validated_data and data[airport].upper() == (current or {}).get(airport)
            if unchanged and (current or {}).get(instant) is not None:
                fields[instant] = current[instant]
        return fields


def _wall_clock(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError("Enter a real local date and time, like 2027-03-01T08:30.") from None


def _current_fields(flight: Flight) -> dict:
    return {
        "number": flight.number,
        "origin": flight.origin.iata,
        "destination": flight.destination.iata,
        "departs_local": flight.departs_local().replace(tzinfo=None),
        "arrives_local": flight.arrives_local().replace(tzinfo=None),
        "departs_at": flight.departs_at,
        "arrives_at": flight.arrives_at,
        "price": flight.price,
        "capacity": flight.capacity,
        "layout": flight.layout,
    }


FLIGHT_EXAMPLE = {
    "number": "SK123",
    "origin": "LHR",
    "destination": "JFK",
    "departs_local": "2027-03-01T08:30",
    "arrives_local": "2027-03-01T11:45",
    "price": "249.00",
    "capacity": 60,
}


class FlightList(PublicReadStaffWrite, PublicFlightList):
    @extend_schema(
        operation_id="flights_create",
        summary="Add a flight (staff)",
        description="Times are local to each airport, as on a printed timetable.",
        request=FlightWriteSerializer,
        responses={201: FlightSerializer},
        examples=[OpenApiExample("A flight", value=FLIGHT_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        serializer = FlightWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        flight = flight_services.flight_create(**serializer.flight_fields())
        response = Response(
            FlightSerializer(flight_or_404(flight.pk), context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
        response["Location"] = absolute(request, "api:flight", flight.pk)
        return response


class FlightDetail(PublicReadStaffWrite, PublicFlightDetail):
    def _update(self, request, flight_id: int, *, partial: bool):
        flight = flight_or_404(flight_id)
        serializer = FlightWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = serializer.flight_fields(flight_id=flight.pk, current=_current_fields(flight) if partial else None)
        flight_services.flight_update(flight_id=flight.pk, **fields)
        return Response(FlightSerializer(flight_or_404(flight.pk), context={"request": request}).data)

    @extend_schema(
        operation_id="flights_update",
        summary="Replace a flight's details (staff)",
        description="Passengers are e-mailed when the times change.",
        request=FlightWriteSerializer,
        responses=FlightSerializer,
    )
    @problem_codes("capacity_below_booked", "flight_not_editable", "busy")
    def put(self, request, flight_id: int):
        return self._update(request, flight_id, partial=False)

    @extend_schema(
        operation_id="flights_partial_update",
        summary="Change some of a flight's details (staff), e.g. delay it",
        request=FlightWriteSerializer(partial=True),
        responses=FlightSerializer,
        examples=[
            OpenApiExample(
                "Delay",
                value={"departs_local": "2027-03-01T10:30", "arrives_local": "2027-03-01T13:45"},
                request_only=True,
            )
        ],
    )
    @problem_codes("capacity_below_booked", "flight_not_editable", "busy")
    def patch(self, request, flight_id: int):
        return self._update(request, flight_id, partial=True)

    @extend_schema(
        operation_id="flights_destroy",
        summary="Remove a flight (staff)",
        description="A flight nobody booked is deleted (204). One with bookings is cancelled and kept as "
        "history: bookings are cancelled with a full refund and passengers e-mailed (200, the flight).",
        responses={200: FlightSerializer, 204: None},
    )
    @problem_codes("busy")
    def delete(self, request, flight_id: int):
        flight = flight_or_404(flight_id)
        if not flight.is_cancelled and booking_services.flight_remove(flight_id=flight.pk) == "deleted":
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(FlightSerializer(flight_or_404(flight.pk), context={"request": request}).data)


class SchedulePages(CursorPages):
    ordering = ("departs_at", "pk")
    page_size = 50
    max_page_size = 200


def staff_day(value):
    """A day staff asked about, within the years the schedule holds (flights.forms.StaffDateField)."""
    try:
        return StaffDateField().clean(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from None


class ScheduleQuerySerializer(serializers.Serializer):
    number = serializers.CharField(max_length=8, required=False, allow_blank=True)
    date = serializers.DateField(required=False, help_text="Local departure day")
    origin = serializers.CharField(max_length=3, required=False, allow_blank=True, help_text="IATA code")
    destination = serializers.CharField(max_length=3, required=False, allow_blank=True, help_text="IATA code")

    def validate_date(self, value):
        return staff_day(value)


class Schedule(StaffOnly, ListAPIView):
    serializer_class = FlightSerializer
    pagination_class = SchedulePages
    query_serializer = ScheduleQuerySerializer

    def get_queryset(self):
        data = parse_query(ScheduleQuerySerializer, self.request).validated_data
        return flights_for_staff(
            number=data.get("number", ""),
            day=data.get("date"),
            origin=data.get("origin", ""),
            destination=data.get("destination", ""),
        )

    @extend_schema(
        operation_id="schedule_list",
        summary="The schedule, cancelled flights too (staff)",
        parameters=[ScheduleQuerySerializer(partial=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Imports -------------------------------------------------------------------------------------


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, UTF-8; columns as in the staff import page's sample file")


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=FlightImport.Status.values)
    file_name = serializers.CharField()
    done = serializers.IntegerField(source="progress_done", help_text="Rows processed")
    total = serializers.IntegerField(source="progress_total")
    created = serializers.IntegerField(source="created_count")
    updated = serializers.IntegerField(source="updated_count")
    unchanged = serializers.IntegerField(source="unchanged_count")
    error_count = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.JSONField(), help_text="The first row errors")
    created_at = serializers.DateTimeField()


class ImportPages(CursorPages):
    ordering = ("-created_at", "-pk")


class ImportList(StaffOnly, ListAPIView):
    parser_classes = [MultiPartParser]
    queryset = FlightImport.objects.all()
    serializer_class = ImportSerializer
    pagination_class = ImportPages

    @extend_schema(operation_id="imports_list", summary="Schedule imports, newest first (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="imports_create",
        summary="Upload a schedule CSV (staff)",
        description="The file is checked as a whole at once (400 with the reason); rows are imported "
        "by a worker, all or nothing. Poll GET /flights/imports/{id}. Send an Idempotency-Key to "
        "make a repeated upload of the same file start one import.",
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportSerializer},
    )
    def post(self, request):
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = derived_token(request) if request.headers.get("Idempotency-Key") else None
        try:
            flight_import = flight_import_start(
                user=request.user, upload=serializer.validated_data["file"], token=token
            )
        except ImportFileError as error:
            raise serializers.ValidationError({"file": [str(error)]}) from None
        response = Response(
            ImportSerializer(flight_import, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )
        response["Location"] = absolute(request, "api:import", flight_import.pk)
        return response


class ImportDetail(StaffOnly, APIView):
    @extend_schema(
        operation_id="imports_retrieve", summary="An import's status and errors (staff)", responses=ImportSerializer
    )
    def get(self, request, import_id: int):
        return Response(
            ImportSerializer(get_object_or_404(FlightImport, pk=import_id), context={"request": request}).data
        )


# Manifests -----------------------------------------------------------------------------------


class ManifestPassengerSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(source="pk")
    seat = serializers.CharField()
    passenger_name = serializers.CharField()
    status = serializers.CharField()
    booking = serializers.CharField(source="booking.reference")
    booked_by = serializers.EmailField(source="booking.user.email")


class ManifestSerializer(serializers.Serializer):
    flight = FlightSerializer()
    passengers = ManifestPassengerSerializer(many=True)
    active_count = serializers.IntegerField(help_text="Passengers flying (paid)")


class ManifestQuerySerializer(serializers.Serializer):
    number = serializers.CharField(max_length=8)
    date = serializers.DateField(help_text="Local departure day at the origin")

    def validate_number(self, value: str) -> str:
        return value.strip().upper()

    def validate_date(self, value):
        return staff_day(value)


def _manifest(request, flight: Flight) -> dict:
    tickets = flight_manifest(flight=flight)
    return {
        "flight": FlightSerializer(flight, context={"request": request}).data,
        "passengers": ManifestPassengerSerializer(tickets, many=True, context={"request": request}).data,
        "active_count": sum(ticket.status == ticket.Status.ACTIVE for ticket in tickets),
    }


class ManifestList(StaffOnly, APIView):
    query_serializer = ManifestQuerySerializer

    @extend_schema(
        operation_id="manifests_list",
        summary="Manifests by flight number and local date (staff)",
        description="Every flight with that number departing on that local day (usually one), each "
        "with its passengers: flying first, then held, then cancelled, in seat order.",
        parameters=[ManifestQuerySerializer],
        responses=ManifestSerializer(many=True),
    )
    def get(self, request):
        data = parse_query(ManifestQuerySerializer, request).validated_data
        flights = flights_by_number_on_local_day(number=data["number"], day=data["date"])
        return Response([_manifest(request, flight) for flight in flights])


class FlightManifest(StaffOnly, APIView):
    @extend_schema(operation_id="flights_manifest", summary="A flight's manifest (staff)", responses=ManifestSerializer)
    def get(self, request, flight_id: int):
        return Response(_manifest(request, flight_or_404(flight_id)))


# Users ---------------------------------------------------------------------------------------


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_staff = serializers.BooleanField()
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField(allow_null=True)


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", max_length=100, help_text="Part of an e-mail or name")
    is_staff = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = get_user_model()
        fields = ["q", "is_staff", "is_active"]

    def search(self, users, name, value):
        return users_matching(users, value)


class UserPages(CursorPages):
    ordering = ("-date_joined", "-pk")
    page_size = 50
    max_page_size = 200


class UserList(StaffOnly, ListAPIView):
    queryset = get_user_model().objects.all()
    serializer_class = UserSerializer
    pagination_class = UserPages
    filter_backends = [DjangoFilterBackend]
    filterset_class = UserFilter

    @extend_schema(operation_id="users_list", summary="Accounts, newest first (staff)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
