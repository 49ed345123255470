"""One error format for the whole API: `application/problem+json` (RFC 9457).

Every error body has `type`, `title`, `status`, `detail`, a stable `code` (the table below;
clients switch on it, never on the wording), `instance` (the path) and `request_id` (the
`X-Request-ID` of the response). A validation error adds `errors`: messages per field, nested
fields as dotted paths (`passengers.0.last_name`). 409, 429 and 503 carry `Retry-After`.

Domain exceptions from the services are mapped here and nowhere else (DOMAIN_ERRORS), so a
view never builds an error itself: it raises, and `exception_handler` answers.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework_simplejwt import exceptions as jwt_exceptions
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from bookings.exceptions import (
    BookingClosed,
    BookingError,
    CancellationClosed,
    CheckoutIncomplete,
    FlightBusy,
    HoldExpired,
    HoldLimitReached,
    PaymentDeclined,
    SeatTaken,
    SeatUnknown,
    SoldOut,
)
from flights.exceptions import CapacityBelowBooked, FlightError, FlightNotEditable, ScheduleBusy

from .exceptions import NothingToCancel, QuoteExpired

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ErrorCode:
    status: int
    title: str
    retry_after: int | None = None  # seconds, for 409, 429 and 503


# The stable codes, documented in docs/api.md and in the schema of every operation. Retry-After
# says when the same request could succeed: seconds for a lock or a lapsing hold, an hour for a
# state that will not change by itself (the code says what to do instead).
CODES: dict[str, ErrorCode] = {
    "validation_error": ErrorCode(400, "Some fields are not valid."),
    "parse_error": ErrorCode(400, "The request body is not valid JSON."),
    "bad_request": ErrorCode(400, "The request could not be understood."),
    "idempotency_key_required": ErrorCode(400, "This request needs an Idempotency-Key header."),
    "not_authenticated": ErrorCode(401, "Sign in: send a bearer access token."),
    "authentication_failed": ErrorCode(401, "Those credentials are not valid."),
    "token_not_valid": ErrorCode(401, "The token is not valid or has expired."),
    "otp_required": ErrorCode(401, "This account uses two-step sign-in: send `otp` with the password."),
    "payment_declined": ErrorCode(402, "The payment was declined."),
    "permission_denied": ErrorCode(403, "You may not do this."),
    "second_factor_required": ErrorCode(403, "Staff calls need a token or session verified with a second factor."),
    "csrf_failed": ErrorCode(403, "The CSRF check failed (session authentication needs the CSRF token)."),
    "not_found": ErrorCode(404, "Not found."),
    "method_not_allowed": ErrorCode(405, "This method is not allowed here."),
    "not_acceptable": ErrorCode(406, "The API answers in JSON only."),
    "sold_out": ErrorCode(409, "Not enough seats left.", retry_after=60),
    "seat_taken": ErrorCode(409, "A chosen seat is taken.", retry_after=60),
    "booking_closed": ErrorCode(409, "This flight is not open for booking.", retry_after=3600),
    "hold_expired": ErrorCode(409, "The hold has expired.", retry_after=3600),
    "hold_limit_reached": ErrorCode(409, "Too many open holds.", retry_after=60),
    "checkout_incomplete": ErrorCode(409, "The booking is not complete.", retry_after=3600),
    "cancellation_closed": ErrorCode(409, "This booking can no longer be cancelled.", retry_after=3600),
    "nothing_to_cancel": ErrorCode(409, "Nothing is left to cancel.", retry_after=3600),
    "quote_expired": ErrorCode(409, "The cancellation quote has expired.", retry_after=3600),
    "capacity_below_booked": ErrorCode(409, "The change would drop booked seats.", retry_after=60),
    "flight_not_editable": ErrorCode(409, "This flight can no longer be changed.", retry_after=3600),
    "export_not_ready": ErrorCode(409, "The export is not ready yet.", retry_after=2),
    "idempotency_key_in_use": ErrorCode(409, "A request with this Idempotency-Key is in progress.", retry_after=1),
    "export_expired": ErrorCode(410, "The export has expired."),
    "export_failed": ErrorCode(410, "The export failed."),
    "request_too_large": ErrorCode(413, "The request is too large."),
    "unsupported_media_type": ErrorCode(415, "Send JSON (or multipart for file uploads)."),
    "seat_unknown": ErrorCode(422, "No such seat on this flight."),
    "booking_error": ErrorCode(422, "The booking could not be completed."),
    "flight_error": ErrorCode(422, "The flight could not be changed."),
    "idempotency_key_reused": ErrorCode(422, "This Idempotency-Key was used with a different request."),
    "throttled": ErrorCode(429, "Too many requests.", retry_after=1),
    "locked_out": ErrorCode(429, "Too many failed sign-ins for this account from here.", retry_after=900),
    "server_error": ErrorCode(500, "Something went wrong on our side."),
    "busy": ErrorCode(503, "Busy right now: try again in a moment.", retry_after=2),
}

# Subclasses before their base class: the first match wins.
DOMAIN_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (SoldOut, "sold_out"),
    (SeatTaken, "seat_taken"),
    (SeatUnknown, "seat_unknown"),
    (BookingClosed, "booking_closed"),
    (FlightBusy, "busy"),
    (CancellationClosed, "cancellation_closed"),
    (HoldExpired, "hold_expired"),
    (PaymentDeclined, "payment_declined"),
    (CheckoutIncomplete, "checkout_incomplete"),
    (HoldLimitReached, "hold_limit_reached"),
    (NothingToCancel, "nothing_to_cancel"),
    (QuoteExpired, "quote_expired"),
    (BookingError, "booking_error"),
    (CapacityBelowBooked, "capacity_below_booked"),
    (ScheduleBusy, "busy"),
    (FlightNotEditable, "flight_not_editable"),
    (FlightError, "flight_error"),
)

# DRF's own exceptions, by class (subclasses first).
FRAMEWORK_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    # simplejwt's: a bad, expired or revoked token, or one whose user is gone or inactive.
    (InvalidToken, "token_not_valid"),
    (jwt_exceptions.AuthenticationFailed, "token_not_valid"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.ParseError, "parse_error"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ValidationError, "validation_error"),
)


class ApiError(exceptions.APIException):
    """An error a view raises by code: `raise ApiError("quote_expired", "Ask for a new quote.")`.
    `extra` adds members to the body (documented per code)."""

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        errors: dict | None = None,
        extra: dict | None = None,
        wait: float | None = None,
    ):
        self.code = code
        self.wait = wait  # seconds for Retry-After, when the code's default does not fit
        self.status_code = CODES[code].status
        self.errors = errors
        self.extra = extra or {}
        super().__init__(detail or CODES[code].title, code)


def problem_body(request, code: str, detail: str | None = None, *, status: int | None = None, **members) -> dict:
    entry = CODES[code]
    body = {
        "type": f"{settings.SITE_URL}/api/v1/docs/#section/Errors",
        "title": entry.title,
        "status": status or entry.status,
        "detail": detail or entry.title,
        "code": code,
        "instance": request.path if request is not None else "",
        "request_id": getattr(request, "id", ""),
    }
    body.update({name: value for name, value in members.items() if value is not None})
    return body


def _headers(code: str, status: int, *, wait: float | None = None) -> dict[str, str]:
    entry = CODES.get(code)
    if status in (409, 429, 503):
        seconds = math.ceil(wait) if wait else (entry.retry_after if entry and entry.retry_after else 1)
        return {"Retry-After": str(max(int(seconds), 1))}
    return {}


def problem_response(request, code: str, detail: str | None = None, **members) -> Response:
    """A DRF response in the problem format (for the rare view that answers an error itself)."""
    body = problem_body(request, code, detail, **members)
    return Response(
        body, status=body["status"], headers=_headers(code, body["status"]), content_type=PROBLEM_CONTENT_TYPE
    )


def problem_json(request, code: str, detail: str | None = None, *, status: int | None = None) -> JsonResponse:
    """The same body from plain Django (the 400/403/404/500 handlers under /api/)."""
    body = problem_body(request, code, detail, status=status)
    response = JsonResponse(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
    for name, value in _headers(code, body["status"]).items():
        response[name] = value
    return response


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [messages], "passengers.0.last_name": [...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for name, value in detail.items():
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            if value:
                flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(message) for message in messages]}


def _first_message(errors: dict[str, list[str]]) -> str:
    for field, messages in errors.items():
        if messages:
            return messages[0] if field == api_settings.NON_FIELD_ERRORS_KEY else f"{field}: {messages[0]}"
    return CODES["validation_error"].title


def _code_of(exc: Exception, table) -> str | None:
    for kind, code in table:
        if isinstance(exc, kind):
            return code
    return None


def _domain_members(exc: Exception) -> dict:
    if isinstance(exc, SeatTaken) and exc.seats:
        return {"seats": list(exc.seats)}
    if isinstance(exc, HoldLimitReached) and exc.open_reference:
        return {"open_hold": exc.open_reference}
    return {}


def _framework_problem(exc: exceptions.APIException) -> tuple[str, str, dict]:
    """(code, detail, extra members) of one of DRF's (or simplejwt's) exceptions."""
    code = _code_of(exc, FRAMEWORK_ERRORS) or ("bad_request" if exc.status_code < 500 else "server_error")
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return code, _first_message(errors), {"errors": errors}
    if isinstance(exc, exceptions.Throttled):
        return code, f"Too many requests. Try again in {max(math.ceil(exc.wait or 1), 1)} seconds.", {}
    detail = exc.detail.get("detail") if isinstance(exc.detail, dict) else exc.detail  # simplejwt's are dicts
    if isinstance(exc, InvalidToken) and "messages" in exc.detail:  # the bearer token: a reason per token type
        detail = "The token is not valid or has expired."
    detail = str(detail) if isinstance(detail, str) else CODES[code].title
    if code == "permission_denied" and detail.startswith("CSRF Failed"):
        code = "csrf_failed"
    return code, detail, {}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception a view or the framework raises becomes a
    problem response. Anything unknown is a bug: None lets Django log it and answer 500
    (through booking_site's handler500, still as problem+json under /api/)."""
    request = context.get("request")
    status = None
    headers: dict[str, str] = {}
    if isinstance(exc, ApiError):
        code, detail, members = exc.code, str(exc.detail), {**exc.extra, "errors": exc.errors}
    elif (code := _code_of(exc, DOMAIN_ERRORS)) is not None:
        detail, members = getattr(exc, "message", None) or str(exc), _domain_members(exc)
    elif isinstance(exc, Http404):
        code, detail, members = "not_found", "Not found.", {}
    elif isinstance(exc, DjangoPermissionDenied):
        code, detail, members = "permission_denied", CODES["permission_denied"].title, {}
    elif isinstance(exc, TokenError):
        code, detail, members = "token_not_valid", str(exc), {}
    elif isinstance(exc, exceptions.APIException):
        code, detail, members = _framework_problem(exc)
        status = exc.status_code  # DRF turns a 401 into 403 where no scheme could be offered
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
    else:
        return None
    body = problem_body(request, code, detail, status=status, **members)
    headers.update(_headers(code, body["status"], wait=getattr(exc, "wait", None)))
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)
