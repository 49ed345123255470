"""The audit trail (ASVS 16, issue 14): every staff write is recorded with who, when, from
where and the old and new values; staff read a flight's history on its page; nobody can edit
or delete the trail from django-admin; security events are recorded (django-axes keeps logins,
failures and lockouts; a password change is recorded without its value)."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD, StaffFactory, UserFactory, authenticator_code, verified_login
from api.views.auth import token_pair
from bookings.models import Booking
from bookings.tests.factories import make_booking
from flights.models import Flight
from flights.tests.factories import FlightFactory
from notifications.models import OutboxMessage
from notifications.services import outbox_enqueue

pytestmark = pytest.mark.django_db

STAFF_ADDRESS = "192.0.2.44"


@pytest.fixture
def staff():
    return StaffFactory(is_superuser=True)


@pytest.fixture
def staff_client(staff):
    client = Client(REMOTE_ADDR=STAFF_ADDRESS, HTTP_X_FORWARDED_FOR="6.6.6.6")  # a spoofed header is ignored
    verified_login(client, staff)
    return client


def edit_price(client, flight, price: str):
    form = client.get(reverse("staff:flight_edit", args=[flight.pk])).context["form"]
    data = {**form.initial, "price": price, "origin": flight.origin.iata, "destination": flight.destination.iata}
    return client.post(reverse("staff:flight_edit", args=[flight.pk]), data)


def test_a_flight_edit_is_recorded_with_who_where_and_the_old_and_new_values(staff_client, staff):
    flight = FlightFactory(price=Decimal("100.00"))
    assert edit_price(staff_client, flight, "150.00").status_code == 302

    entry = LogEntry.objects.get_for_object(flight).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == staff
    assert entry.remote_addr == STAFF_ADDRESS
    assert entry.changes_dict["price"] == ["100.00", "150.00"]

    page = staff_client.get(reverse("staff:flight_edit", args=[flight.pk])).content.decode()
    assert "History" in page and staff.email in page and "100.00 → 150.00" in page


def test_removing_a_booked_flight_records_the_flight_and_each_booking_cancelled(staff_client, staff):
    booking = make_booking()
    response = staff_client.post(reverse("staff:flight_remove", args=[booking.flight_id]))
    assert response.status_code == 302
    flight_entry = LogEntry.objects.get_for_object(Flight.objects.get(pk=booking.flight_id)).latest("timestamp")
    assert flight_entry.actor == staff and flight_entry.changes_dict["status"] == ["scheduled", "cancelled"]
    booking_entry = LogEntry.objects.get_for_object(Booking.objects.get(pk=booking.pk)).latest("timestamp")
    assert booking_entry.actor == staff
    assert booking_entry.changes_dict["status"] == ["confirmed", "cancelled"]


def test_a_flight_changed_in_django_admin_is_recorded(staff_client, staff):
    flight = FlightFactory(price=Decimal("100.00"))
    url = reverse("admin:flights_flight_change", args=[flight.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data["departs_at_0"], data["departs_at_1"] = (
        flight.departs_at.strftime("%Y-%m-%d"),
        flight.departs_at.strftime("%H:%M:%S"),
    )
    data["arrives_at_0"], data["arrives_at_1"] = (
        flight.arrives_at.strftime("%Y-%m-%d"),
        flight.arrives_at.strftime("%H:%M:%S"),
    )
    data["price"] = "99.00"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = LogEntry.objects.get_for_object(flight).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == staff and entry.changes_dict["price"] == ["100.00", "99.00"]


def test_a_password_change_is_recorded_without_its_value():
    user = UserFactory()
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "brand new passphrase 55",
            "new_password2": "brand new passphrase 55",
        },
    )
    entry = LogEntry.objects.get_for_object(user).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    old, new = entry.changes_dict["password"]
    assert entry.actor == user and entry.remote_addr == "198.51.100.7"
    assert "brand new" not in old + new and new.startswith("*")


def test_logins_and_failures_are_recorded_by_axes():
    from axes.models import AccessAttempt, AccessLog

    user = UserFactory()
    Client(REMOTE_ADDR="198.51.100.8").post(reverse("accounts:login"), {"username": user.email, "password": "no"})
    Client(REMOTE_ADDR="198.51.100.9").post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert AccessAttempt.objects.filter(username=user.email, ip_address="198.51.100.8", failures_since_start=1).exists()
    assert AccessLog.objects.filter(username=user.email, ip_address="198.51.100.9").exists()


def test_the_trail_cannot_be_edited_or_deleted_from_django_admin(staff_client):
    flight = FlightFactory(price=Decimal("100.00"))
    edit_price(staff_client, flight, "120.00")
    entry = LogEntry.objects.get_for_object(flight).latest("timestamp")
    assert staff_client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
    staff_client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"})
    staff_client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {"remote_addr": "1.2.3.4"})
    entry.refresh_from_db()
    assert entry.remote_addr == STAFF_ADDRESS
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_setting_up_and_resetting_a_second_factor_is_recorded_without_the_key(staff_client, staff):
    passenger = UserFactory()
    passenger_client = Client(REMOTE_ADDR="203.0.113.9")
    passenger_client.force_login(passenger)
    passenger_client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=passenger)
    passenger_client.post(reverse("accounts:two_factor_setup"), {"code": authenticator_code(device)})
    entries = LogEntry.objects.get_for_object(device).order_by("pk")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries.last().changes_dict["confirmed"] == [False, True]
    assert all(entry.actor == passenger and "key" not in entry.changes_dict for entry in entries)

    # A lost phone: an admin deletes the device; the trail says who did it.
    response = staff_client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(pk=device.pk).exists()
    deleted = LogEntry.objects.filter(action=LogEntry.Action.DELETE, object_pk=str(device.pk)).get()
    assert deleted.actor == staff and deleted.remote_addr == STAFF_ADDRESS


def test_resending_a_failed_e_mail_is_recorded(staff_client, staff, django_capture_on_commit_callbacks):
    message = outbox_enqueue(to="ada@example.test", template="welcome", context={"name": "Ada"})
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.FAILED, attempts=10)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/notifications/outboxmessage/", {"action": "requeue_failed", "_selected_action": [message.pk]}
        )
    entry = LogEntry.objects.get_for_object(message).get()
    assert entry.actor == staff and entry.remote_addr == STAFF_ADDRESS
    assert entry.changes_dict["status"] == ["failed", "pending"]


def test_an_accounts_trail_is_a_link_away_in_django_admin(staff_client, staff):
    passenger = UserFactory()
    passenger.first_name = "Renamed"
    passenger.save()
    page = staff_client.get(reverse("admin:accounts_user_change", args=[passenger.pk])).content.decode()
    assert "Changes to this account" in page and "Changes made by this account" in page
    history = staff_client.get(reverse("admin:accounts_user_auditlog", args=[passenger.pk]))
    assert history.status_code == 200 and "Renamed" in history.content.decode()

    edit_price(staff_client, FlightFactory(price=Decimal("100.00")), "120.00")
    by_actor = staff_client.get(reverse("admin:auditlog_logentry_changelist") + f"?actor={staff.pk}")
    assert by_actor.status_code == 200
    assert list(by_actor.context["cl"].result_list) == list(LogEntry.objects.filter(actor=staff).order_by("-timestamp"))
    sign_ins = staff_client.get(reverse("admin:axes_accesslog_changelist") + f"?username={staff.email}")
    assert sign_ins.status_code == 200


def test_a_staff_write_through_the_api_names_its_bearer():
    """The API's token is read inside the view: the trail must still say who."""
    staff = StaffFactory()
    flight = FlightFactory(price=Decimal("100.00"))
    token = token_pair(staff, second_factor=True)["access"]
    client = APIClient(REMOTE_ADDR=STAFF_ADDRESS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.patch(f"/api/v1/flights/{flight.pk}", {"price": "130.00"}, format="json").status_code == 200
    entry = LogEntry.objects.get_for_object(flight).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == staff and entry.remote_addr == STAFF_ADDRESS
    assert entry.changes_dict["price"] == ["100.00", "130.00"]
