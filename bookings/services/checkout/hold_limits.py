"""How many checkouts one account, and one client network, may have holding seats at once.

Without a limit one account could hold a whole flight without paying, renewing the holds
every few minutes, and everyone else would read "sold out". A checkout is open while its
booking is held and its hold has not run out.

The limits are checked under locks, so they cannot be raced past: the flight row lock
serialises the per-flight counts, and transaction-scoped advisory locks on the account and
on the client network (taken before the flight lock, in that order, by every hold) serialise
the totals across flights. Staff are exempt: an airline agent books for callers, from an
office where everyone shares one address.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from accounts.models import User

from ...exceptions import HoldLimitReached
from ...models import Booking

UNLIMITED = 2**31 - 1
# Advisory lock key spaces (the first of pg_advisory_xact_lock's two int4 keys).
_ACCOUNT_LOCK = 7301
_CLIENT_LOCK = 7302


@dataclass(frozen=True)
class HoldLimits:
    per_flight: int  # open checkouts of one account on one flight
    total: int  # open checkouts of one account in all
    client_per_flight: int  # ... of one client network on one flight
    client_total: int  # ... of one client network in all

    @property
    def unlimited(self) -> bool:
        return self == NO_LIMITS


NO_LIMITS = HoldLimits(UNLIMITED, UNLIMITED, UNLIMITED, UNLIMITED)


def hold_limits_for(user: User) -> HoldLimits:
    if user.is_staff:
        return NO_LIMITS
    return HoldLimits(
        per_flight=settings.HOLD_LIMIT_PER_FLIGHT,
        total=settings.HOLD_LIMIT_PER_ACCOUNT,
        client_per_flight=settings.HOLD_LIMIT_PER_FLIGHT_PER_CLIENT,
        client_total=settings.HOLD_LIMIT_PER_CLIENT,
    )


def client_key(network: str) -> str:
    """What is stored for a client network: a keyed hash (the address is not kept)."""
    if not network:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), network.encode(), hashlib.sha256).hexdigest()[:16]


def advisory_lock_sql(*, user_id: int, client: str, limits: HoldLimits) -> tuple[str, list]:
    """The statement (and its parameters) that takes the account's and the client's advisory
    locks for this transaction; ("", []) when nothing is limited. Run before the flight lock."""
    if limits.unlimited:
        return "", []
    sql = "SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::int)"
    params: list = [_ACCOUNT_LOCK, user_id]
    if client:
        sql += ", pg_advisory_xact_lock(%s, hashtext(%s))"
        params += [_CLIENT_LOCK, client]
    return sql + "; ", params


def check_hold_limits_locked(*, user: User, flight_id: int, client: str, limits: HoldLimits, now: datetime) -> None:
    """Raise HoldLimitReached when one more checkout on `flight_id` would pass a limit. Call
    with the advisory locks and the flight lock held (`lock_flight_for_booking`)."""
    assert connection.in_atomic_block, "check_hold_limits_locked() needs the locks"
    if limits.unlimited:
        return
    open_holds = Booking.objects.filter(status=Booking.Status.HELD, hold_expires_at__gt=now).order_by()
    mine = list(open_holds.filter(user=user).values_list("flight_id", "reference")[: limits.total + 1])
    on_flight = [reference for flight, reference in mine if flight == flight_id]
    if len(on_flight) >= limits.per_flight:
        raise HoldLimitReached(
            "You already have seats held on this flight. Finish that checkout, or release its seats to choose again.",
            open_reference=on_flight[0],
        )
    if len(mine) >= limits.total:
        raise HoldLimitReached(
            f"You already have {len(mine)} checkouts holding seats. Finish or release one of them "
            "(under My bookings) before holding more seats."
        )
    if not client:
        return
    theirs = list(open_holds.filter(hold_client=client).values_list("flight_id", flat=True)[: limits.client_total + 1])
    if theirs.count(flight_id) >= limits.client_per_flight or len(theirs) >= limits.client_total:
        raise HoldLimitReached(
            "Too many seats are on hold from your network right now. Finish or release an open "
            "checkout, or try again in a few minutes."
        )
