"""How API calls are signed in: simplejwt's bearer tokens (with one gap closed), or the site's
session (with its CSRF check), and whether the caller showed a second factor."""

from django.core.exceptions import ValidationError
from rest_framework import authentication as drf_authentication
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts import two_factor

# RFC 8176 "Authentication Method Reference": a token from a sign-in with password and code.
AMR_CLAIM = "amr"
AMR_SECOND_FACTOR = ["pwd", "otp"]


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt looks the user up by the token's `user_id` and catches only DoesNotExist: a
    correctly signed token with a `user_id` that is not a number would be a 500. It is a token
    that is not valid."""

    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except (ValueError, TypeError, OverflowError, ValidationError) as error:
            raise InvalidToken("Token contained no recognizable user identification") from error


class SessionAuthentication(drf_authentication.SessionAuthentication):
    """The site's session, but not one still owing its second factor (a password alone must not
    open the API to an account that has one: accounts.middleware.SecondFactorMiddleware)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and two_factor.second_factor_pending(request._request):
            return None
        return result


def second_factor_shown(request) -> bool:
    """The caller showed a second factor: a token issued for password and code (its `amr`
    claim), or a session verified on the site."""
    token = request.auth  # a bearer token's claims, or None for a session
    if token is not None and hasattr(token, "get"):
        return "otp" in (token.get(AMR_CLAIM) or [])
    return two_factor.is_verified(request.user)
