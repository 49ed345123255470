"""The API's own housekeeping: what it stores for retries and quotes does not pile up."""

from datetime import timedelta

from django.utils import timezone

from .idempotency import idempotency_keys_purge
from .models import CancellationQuote

QUOTES_KEPT = timedelta(days=1)  # an unconfirmed quote is useless after its 10 minutes; kept a day for support


def quotes_purge(*, limit: int = 5000) -> int:
    """Delete unconfirmed cancellation quotes older than a day. Returns how many."""
    ids = list(
        CancellationQuote.objects.filter(
            status=CancellationQuote.Status.QUOTED, created_at__lt=timezone.now() - QUOTES_KEPT
        ).values_list("pk", flat=True)[:limit]
    )
    return CancellationQuote.objects.filter(pk__in=ids).delete()[0]


def api_housekeeping() -> dict[str, int]:
    """Hourly (beat): stored Idempotency-Key responses past API_IDEMPOTENCY_HOURS and stale
    quotes go. Running twice deletes nothing more."""
    return {"idempotency_keys": idempotency_keys_purge(), "quotes": quotes_purge()}
