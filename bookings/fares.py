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


def fare_rule_text() -> str:
    return (
        f"Full refund when you cancel at least {settings.REFUND_FULL_DAYS} days before departure; "
        f"{settings.REFUND_LATE_PERCENT}% of the fare after that, until "
        f"{settings.CANCELLATION_CUTOFF_HOURS} hours before departure."
    )
