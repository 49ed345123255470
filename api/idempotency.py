"""Safe retries: the `Idempotency-Key` header on the POSTs that create money-bearing state.

The first request with a key claims it (a row, unique per user and key) and runs; its
response is stored and replayed for API_IDEMPOTENCY_HOURS to any request with the same key
and the same method, path and body (`Idempotent-Replayed: true`). The same key with a
different request is 422 `idempotency_key_reused`; while the first is still running, 409
`idempotency_key_in_use` with Retry-After. Responses that say "try again" (429, 503, 5xx) are
not stored, nor are 409 conflicts (sold out, seat taken, a hold limit): the key is free again for
the retry, which runs afresh.

A claim older than IN_FLIGHT_SECONDS with no response is a request that died (a killed
worker): the next retry takes it over. The services underneath are idempotent on their own
too (a hold's token is derived from the key), so a retry after such a death finds what the
first attempt made instead of making it twice.
"""

import hashlib
import json
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.response import Response

from .errors import ApiError
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
IN_FLIGHT_SECONDS = 60  # longer than any request may run (gunicorn's timeout is 30 s)
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
REPLAYED_HEADERS = ("Location",)  # a stored answer is never a 409, 429 or 503: no Retry-After
# "Try again" answers: the state may change (a seat frees up, a lock is released), so a retry
# with the same key runs again rather than replaying them.
NOT_STORED = (409, 429)
KEY_NAMESPACE = uuid.UUID("6f1d4c3e-8a8b-4f0e-9a51-3c2b1d0e7f64")


def request_key(request) -> str:
    """The request's Idempotency-Key, checked: 400 when missing or malformed."""
    key = request.headers.get(HEADER, "")
    if not KEY_PATTERN.fullmatch(key):
        raise ApiError(
            "idempotency_key_required",
            "Send an Idempotency-Key header: 1 to 255 printable characters, unique per request "
            "you mean to make once (a UUID is ideal).",
        )
    return key


def derived_token(request) -> uuid.UUID:
    """A UUID fixed by the user and the Idempotency-Key: the one-time token a service call
    made under that key uses, so a retried call finds its first result."""
    return uuid.uuid5(KEY_NAMESPACE, f"{request.user.pk}:{request.headers.get(HEADER, '')}")


def _fingerprint(request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    except (TypeError, ValueError):  # an upload or an odd body: its bytes decide
        body = hashlib.sha256(request.body).hexdigest()
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


@contextmanager
def _quick_commit():
    """A transaction that does not wait for its WAL flush: the claim and the stored response are
    bookkeeping, not the booking (which the services commit durably). A crash may lose the
    last few; a retry then runs again, and the services' own tokens make it find its result."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _claim(*, user, key: str, fingerprint: str) -> IdempotencyKey | None:
    """The stored row to replay, or None when this request now owns the key (claimed)."""
    now = timezone.now()
    for _attempt in range(3):
        try:
            with _quick_commit():
                IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, started_at=now)
            return None
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(user=user, key=key).first()
        if row is None:
            continue  # deleted in between: claim again
        if row.started_at < now - timedelta(hours=settings.API_IDEMPOTENCY_HOURS):
            IdempotencyKey.objects.filter(pk=row.pk, started_at=row.started_at).delete()  # past replaying
            continue
        if row.fingerprint != fingerprint:
            raise ApiError(
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
            )
        if row.response_status is not None:
            return row
        if row.started_at > now - timedelta(seconds=IN_FLIGHT_SECONDS):
            raise ApiError("idempotency_key_in_use", "The first request with this Idempotency-Key is still running.")
        # The first attempt died without answering: take the key over (one retry wins).
        if IdempotencyKey.objects.filter(pk=row.pk, started_at=row.started_at).update(started_at=now):
            return None
    raise ApiError("idempotency_key_in_use", "The first request with this Idempotency-Key is still running.")


def _store(*, user, key: str, response) -> None:
    status = response.status_code
    rows = IdempotencyKey.objects.filter(user=user, key=key, response_status__isnull=True)
    if status >= 500 or status in NOT_STORED or not isinstance(response, Response):
        rows.delete()
        return
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    headers["Content-Type"] = response.content_type or "application/json"
    with _quick_commit():
        rows.update(response_status=status, response_body=response.data, response_headers=headers)


def _replay(row: IdempotencyKey, request) -> Response:
    """The stored response; a problem body names this request's id, as its header does."""
    body = row.response_body
    if isinstance(body, dict) and "request_id" in body:
        body = {**body, "request_id": getattr(request, "id", "")}
    headers = dict(row.response_headers)
    content_type = headers.pop("Content-Type", "application/json")
    headers["Idempotent-Replayed"] = "true"
    return Response(body, status=row.response_status, headers=headers, content_type=content_type)


def idempotent(handler):
    """Wrap an APIView method: require the header, replay or claim, run, store."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request_key(request)
        stored = _claim(user=request.user, key=key, fingerprint=_fingerprint(request))
        if stored is not None:
            return _replay(stored, request)
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            try:
                response = view.handle_exception(exc)  # the problem response the client gets
            except Exception:
                IdempotencyKey.objects.filter(user=request.user, key=key, response_status__isnull=True).delete()
                raise
        _store(user=request.user, key=key, response=response)
        return response

    wrapper.idempotent = True
    return wrapper


def idempotency_keys_purge(*, limit: int = 5000) -> int:
    """Delete stored responses past API_IDEMPOTENCY_HOURS (beat, hourly). Returns how many."""
    stale_before = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    ids = list(
        IdempotencyKey.objects.filter(started_at__lt=stale_before)
        .order_by("started_at")
        .values_list("pk", flat=True)[:limit]
    )
    return IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
