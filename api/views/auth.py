"""Accounts over the API: sign up, tokens (obtain, refresh with rotation, log out), me.

Sign-up and the profile run the site's own forms (accounts.forms), so a password or a name
the site refuses, the API refuses with the same message."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate, get_user_model
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import two_factor
from accounts.exceptions import EmailTaken
from accounts.forms import ProfileForm, SignupForm
from accounts.lockout import SECOND_FACTOR, guard_attempt, guard_locked, lockout_seconds
from accounts.services import user_signup_once

from ..authentication import AMR_CLAIM, AMR_SECOND_FACTOR
from ..errors import ApiError
from ..schema import problem_codes
from ..serializers.common import run_form
from ..throttling import AuthThrottle


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email_new_routes = serializers.BooleanField(required=False, help_text="E-mail me about new routes")
    email_monthly_report = serializers.BooleanField(required=False, help_text="A monthly summary of my trips")
    is_staff = serializers.BooleanField(read_only=True)


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)

    def validate(self, data):
        form = SignupForm(
            {
                "email": data["email"],
                "password1": data["password"],
                "password2": data["password"],
                "first_name": data["first_name"],
                "last_name": data["last_name"],
            }
        )
        return run_form(form, names={"password1": "password", "password2": "password"})


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(help_text="Bearer token for the Authorization header; lives 5-15 minutes")
    refresh = serializers.CharField(help_text="Trade it at auth/token/refresh; used once (rotation)")


class SignupResponseSerializer(TokenPairSerializer):
    user = MeSerializer()


class RefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """simplejwt's refresh, refusing (401 token_not_valid) what its access tokens would be
    refused for: a user gone or inactive (simplejwt would answer a 500 for a deleted one), or
    a password changed since the token was issued (its pairs would fail at once, forever)."""

    def validate(self, attrs):
        try:
            refresh = self.token_class(attrs["refresh"])
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
        if user is None or not user.is_active:
            raise InvalidToken("This token's account is closed.")
        if refresh.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise InvalidToken("The user's password has been changed. Sign in again.")
        return super().validate(attrs)


def token_pair(user, *, second_factor: bool = False) -> dict:
    """A refresh token and its access token; `second_factor` marks both (and every pair the
    refresh token is traded for) as issued for password and code, which staff calls need."""
    refresh = RefreshToken.for_user(user)
    if second_factor:
        refresh[AMR_CLAIM] = AMR_SECOND_FACTOR
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class TokenObtainSerializer(jwt_serializers.TokenObtainSerializer):
    """simplejwt's e-mail and password, and for an account with two-step sign-in the code: no
    token for the password alone (401 `otp_required`). Staff need such a token for staff calls."""

    token_class = RefreshToken
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        write_only=True,
        help_text="For an account with two-step sign-in: a code from the authenticator app, or a recovery code",
    )

    def validate(self, attrs):
        super().validate(attrs)  # authenticates (or 401 authentication_failed); sets self.user
        if not two_factor.has_second_factor(self.user):
            return token_pair(self.user)
        if not attrs.get("otp"):
            raise ApiError(
                "otp_required",
                "This account uses two-step sign-in: send `otp`, a code from your authenticator app "
                "(or a recovery code), with your e-mail and password.",
            )
        request = self.context["request"]
        if guard_locked(request, SECOND_FACTOR, self.user.email):
            raise _locked_out("Too many wrong codes for this account from here")
        if two_factor.matching_device(self.user, attrs["otp"]) is None:
            guard_attempt(request, SECOND_FACTOR, self.user.email)
            raise AuthenticationFailed("That code is not right, or was used already.", "otp_not_valid")
        return token_pair(self.user, second_factor=True)


def _same_signup(request, data):
    """The account a sign-up with these e-mail and password made already, or None."""
    email, password = (data.get(name) if hasattr(data, "get") else None for name in ("email", "password"))
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        return None
    return authenticate(request, username=email, password=password)


class Signup(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [AuthThrottle]

    @extend_schema(
        operation_id="auth_signup",
        summary="Create a passenger account",
        description="Returns the account and a token pair, so the app is signed in at once. "
        "The password rules are the site's.",
        request=SignupSerializer,
        responses={201: SignupResponseSerializer},
        examples=[
            OpenApiExample(
                "Sign up",
                value={
                    "email": "ada@example.com",
                    "password": "a long passphrase",
                    "first_name": "Ada",
                    "last_name": "L",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        serializer = SignupSerializer(data=request.data)
        if not serializer.is_valid():
            # The same sign-up again (a retry after a lost answer): that account, signed in.
            user = _same_signup(request, request.data)
            if user is None:
                raise serializers.ValidationError(serializer.errors)
            return Response(
                {"user": MeSerializer(user, context={"request": request}).data, **token_pair(user)},
                status=status.HTTP_201_CREATED,
            )
        data = serializer.validated_data
        try:
            user, _created = user_signup_once(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                request=request,
            )
        except EmailTaken as error:  # someone else's address (the same person's retry gets in)
            raise serializers.ValidationError({"email": [error.message]}) from None
        return Response(
            {"user": MeSerializer(user, context={"request": request}).data, **token_pair(user)},
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="auth_token",
        summary="Sign in: e-mail and password (and a code, with two-step sign-in) for a token pair",
        description="An account with two-step sign-in must send `otp` too (401 `otp_required` "
        "without it). Staff calls need a token issued that way (403 `second_factor_required`).",
        request=TokenObtainSerializer,
        responses={200: TokenPairSerializer},
        examples=[
            OpenApiExample(
                "Sign in", value={"email": "ada@example.com", "password": "a long passphrase"}, request_only=True
            ),
            OpenApiExample(
                "Sign in with two-step sign-in (staff)",
                value={"email": "ops@example.com", "password": "a long passphrase", "otp": "123456"},
                request_only=True,
            ),
        ],
    )
)
@problem_codes("authentication_failed", "otp_required", "locked_out")
class TokenObtain(jwt_views.TokenObtainPairView):
    """simplejwt's sign-in, under the same lockout as the site's login (accounts/lockout.py).
    axes gets DRF's request here, so its middleware never sees a lockout: this view answers
    429 `locked_out` itself, before and right after the attempt that locks."""

    throttle_classes = [AuthThrottle]
    serializer_class = TokenObtainSerializer

    def post(self, request, *args, **kwargs):
        credentials = {"email": request.data.get("email", "")} if hasattr(request.data, "get") else {}
        if AxesProxyHandler.is_locked(request, credentials):
            raise _locked_out()
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            if AxesProxyHandler.is_locked(request, credentials):
                raise _locked_out() from None
            raise


def _locked_out(what: str = "") -> ApiError:
    seconds = lockout_seconds()
    minutes = max(seconds // 60, 1)
    if what:
        return ApiError("locked_out", f"{what}: try again in {minutes} minutes.", wait=seconds)
    return ApiError(
        "locked_out",
        f"Too many wrong passwords for this account from here: try again in {minutes} minutes, "
        "or reset the password by e-mail.",
        wait=seconds,
    )


@extend_schema_view(
    post=extend_schema(
        operation_id="auth_token_refresh",
        summary="A new token pair for a refresh token",
        description="Rotation: the refresh token sent is blacklisted; use the new one next time.",
    )
)
class TokenRefresh(jwt_views.TokenRefreshView):
    throttle_classes = [AuthThrottle]
    serializer_class = RefreshSerializer


@extend_schema_view(
    post=extend_schema(
        operation_id="auth_logout",
        summary="Log out: blacklist a refresh token",
        description="The refresh token can no longer be used; access tokens already issued run out within minutes.",
        responses={200: None},
    )
)
class Logout(jwt_views.TokenBlacklistView):
    throttle_classes = [AuthThrottle]


class Me(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="me_retrieve", summary="The signed-in account", responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        operation_id="me_update",
        summary="Change names and e-mail preferences",
        request=MeSerializer,
        responses=MeSerializer,
    )
    def patch(self, request):
        serializer = MeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = request.user
        current = {name: getattr(user, name) for name in ProfileForm.Meta.fields}
        form = ProfileForm({**current, **serializer.validated_data}, instance=user)
        run_form(form)
        form.save()
        return Response(MeSerializer(user, context={"request": request}).data)
