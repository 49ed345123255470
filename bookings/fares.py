"""The fare rule for cancellations: when a passenger may cancel online and what comes back."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")


def cancellation_deadline(departs_at: datetime) -> datetime:
    """The last moment a passenger can cancel online."""
    return departs_at - timedelta(hours=settings.CANCELLATION_CUTOFF_HOURS)


def full_refund_until(departs_at: datetime) -> datetime:
    return departs_at - timedelta(days=settings.REFUND_FULL_DAYS)


def refund_due(price: Decimal, *, departs_at: datetime, at: datetime) -> Decimal:
    """The money back for one passenger's fare if cancelled at `at`."""
    if at <= full_refund_until(departs_at):
        return price
    return (price * settings.REFUND_LATE_PERCENT / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def fare_rule_text() -> str:
    return (
        f"Full refund when you cancel at least {_count(settings.REFUND_FULL_DAYS, 'day')} before departure; "
        f"{settings.REFUND_LATE_PERCENT}% of the fare after that, until "
        f"{_count(settings.CANCELLATION_CUTOFF_HOURS, 'hour')} before departure."
    )


def cancellation_promise() -> str:
    """The fare rule in one line, for the home page: what a passenger may count on, no more."""
    hours, days = settings.CANCELLATION_CUTOFF_HOURS, settings.REFUND_FULL_DAYS
    until = f"until {_count(hours, 'hour')} before departure" if hours else "any time before departure"
    refund = f"full refund up to {_count(days, 'day')} before" if days else "full refund"
    return f"Change of plans? Cancel online {until}; {refund}."
