"""Bearer tokens: simplejwt's authentication, with one gap closed."""

from django.core.exceptions import ValidationError
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt looks the user up by the token's `user_id` and catches only DoesNotExist: a
    correctly signed token with a `user_id` that is not a number would be a 500. It is a token
    that is not valid."""

    def get_user(self, validated_token):
        try:
            return super().get_user(validated_token)
        except (ValueError, TypeError, OverflowError, ValidationError) as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
