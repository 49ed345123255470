"""The OpenAPI schema's shared parts: the Problem component, and the error responses of every
operation (its own codes, declared with `@problem_codes(...)` on the view method, plus the
ones every operation of its kind can return), each with an example body per code."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .errors import CODES, PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=sorted(CODES), help_text="Stable: switch on this, not on the text")
    instance = serializers.CharField(help_text="The request's path")
    request_id = serializers.CharField(help_text="Quote it to support; also the X-Request-ID header")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="validation_error: messages per field (nested fields as dotted paths)",
    )
    seats = serializers.ListField(child=serializers.CharField(), required=False, help_text="seat_taken: which")
    open_hold = serializers.CharField(required=False, help_text="hold_limit_reached: your open hold on this flight")


def problem_codes(*codes: str):
    """Declare the error codes a view method can answer with, beyond the common ones."""
    unknown = set(codes) - set(CODES)
    if unknown:
        raise ValueError(f"Unknown error codes {sorted(unknown)}")

    def mark(handler):
        handler.problem_codes = codes
        return handler

    return mark


def _example(code: str, path: str) -> dict:
    entry = CODES[code]
    body = {
        "type": "https://flights.example.com/api/v1/docs/#section/Errors",
        "title": entry.title,
        "status": entry.status,
        "detail": entry.title,
        "code": code,
        "instance": path,
        "request_id": "3f6c0a1e9b2d4c5e8f7a6b5c4d3e2f1a",
    }
    if code == "validation_error":
        body["errors"] = {"passengers": ["Ensure this value is less than or equal to 9."]}
    return body


class ApiAutoSchema(AutoSchema):
    def _problem_codes(self) -> list[str]:
        handler = getattr(self.view, self.method.lower(), None)
        codes = list(getattr(handler, "problem_codes", ()) or getattr(self.view, "problem_codes", ()))
        codes.append("throttled")
        paginated = self.method == "GET" and self._get_paginator() is not None  # `limit` is checked
        if (
            self.method in ("POST", "PUT", "PATCH")
            or self._get_filter_parameters()
            or self._has_query_serializer()
            or paginated
        ):
            codes.append("validation_error")
        if self.method in ("POST", "PUT", "PATCH"):
            codes.append("parse_error")
        if self.view.authentication_classes:  # a bad bearer token is refused even where none is needed
            codes.append("token_not_valid")
        if not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes.append("not_authenticated")
        if "{" in self.path:
            codes.append("not_found")
        if getattr(handler, "idempotent", False):
            codes += ["idempotency_key_required", "idempotency_key_in_use", "idempotency_key_reused"]
        staff_only = getattr(self.view, "staff_only", False)
        if staff_only(self.method) if callable(staff_only) else staff_only:
            codes += ["permission_denied", "second_factor_required"]
        return list(dict.fromkeys(codes))

    def _has_query_serializer(self) -> bool:
        return getattr(self.view, "query_serializer", None) is not None and self.method == "GET"

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        by_status: dict[int, list[str]] = {}
        for code in self._problem_codes():
            by_status.setdefault(CODES[code].status, []).append(code)
        for status, codes in sorted(by_status.items()):
            headers = {}
            if status in (409, 429, 503):
                headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait"}
            response = {
                "description": "Problem: " + ", ".join(f"`{code}`" for code in codes),
                "content": {
                    PROBLEM_CONTENT_TYPE: {
                        "schema": problem,
                        "examples": {code: {"value": _example(code, self.path), "summary": code} for code in codes},
                    }
                },
            }
            if headers:
                response["headers"] = headers
            responses.setdefault(str(status), response)
        return responses


def errors_section(result, generator, request, public):
    """drf-spectacular postprocessing hook: the schema's description ends with an "Errors"
    section (Redoc's #section/Errors, where every problem's `type` points): each code, its
    status and what it means."""
    rows = "\n".join(f"| `{code}` | {entry.status} | {entry.title} |" for code, entry in CODES.items())
    result["info"]["description"] = (
        result["info"].get("description", "")
        + "\n\n# Errors\n\nEvery error is `application/problem+json` (RFC 9457) with a stable `code`; "
        "409, 429 and 503 carry `Retry-After`. A validation error lists messages per field in `errors`.\n\n"
        "| code | status | meaning |\n|---|---|---|\n" + rows + "\n"
    )
    return result


class BearerScheme(SimpleJWTScheme):
    """Our JWTAuthentication (api/authentication.py) is simplejwt's: the same bearer scheme."""

    target_class = "api.authentication.JWTAuthentication"


class CookieScheme(SessionScheme):
    """Our SessionAuthentication (api/authentication.py) is DRF's: the same cookie scheme."""

    target_class = "api.authentication.SessionAuthentication"
