"""Accounts over the API: sign-up, tokens (obtain, refresh with rotation, log out), /me, and
what a token must be to be accepted (own key, one algorithm, audience, issuer, expiry, an
active user). Session authentication with CSRF for the site's own JavaScript."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

from .helpers import PROBLEM, assert_problem, bearer_client

pytestmark = [
    pytest.mark.django_db,
    # The test settings' keys are short; PyJWT says so whenever a test signs with them.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

SIGNUP = "/api/v1/auth/signup"
TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"
STRONG_PASSWORD = "plum orchard sailing 1987"


def access_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def claims_for(user, **overrides) -> dict:
    """The claims of a genuine access token for `user` (taken from one the site issues, so
    every claim it checks is there), with `overrides`."""
    claims = jwt.decode(access_for(user), options={"verify_signature": False})
    claims["jti"] = uuid.uuid4().hex
    claims.update(overrides)
    return claims


def signup_body(**overrides) -> dict:
    return {
        "email": "ada@example.test",
        "password": STRONG_PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        **overrides,
    }


# Sign-up -------------------------------------------------------------------------------------


def test_signup_creates_account_and_returns_user_with_token_pair():
    response = APIClient().post(SIGNUP, signup_body(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "ada@example.test"
    assert body["user"]["first_name"] == "Ada"
    assert body["user"]["is_staff"] is False
    assert "password" not in body["user"]
    user = User.objects.get(email="ada@example.test")
    assert user.check_password(STRONG_PASSWORD)
    me = bearer_client(token=body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk
    assert RefreshToken(body["refresh"])["user_id"] == str(user.pk)


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901234", "ada@example.test"])
def test_signup_refuses_weak_password_by_the_sites_rules(weak):
    response = APIClient().post(SIGNUP, signup_body(password=weak), format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "password" in body["errors"]
    assert body["errors"]["password"]
    assert not User.objects.filter(email="ada@example.test").exists()


def test_signup_refuses_taken_email_with_validation_error_on_email():
    UserFactory(email="ada@example.test")

    response = APIClient().post(SIGNUP, signup_body(password="another quite long phrase 42"), format="json")

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]
    assert "access" not in body
    assert User.objects.filter(email__iexact="ada@example.test").count() == 1


def test_signup_refuses_taken_email_in_other_case():
    UserFactory(email="ada@example.test")

    response = APIClient().post(
        SIGNUP, signup_body(email="ADA@Example.TEST", password="other phrase 1234"), format="json"
    )

    body = assert_problem(response, 400, "validation_error")
    assert "email" in body["errors"]


def test_signup_retried_with_same_password_returns_tokens_both_times():
    client = APIClient()
    first = client.post(SIGNUP, signup_body(), format="json")
    second = client.post(SIGNUP, signup_body(), format="json")

    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    assert second.json()["user"]["id"] == first.json()["user"]["id"]
    assert bearer_client(token=second.json()["access"]).get(ME).status_code == 200
    assert User.objects.filter(email="ada@example.test").count() == 1


def test_signup_missing_fields_lists_each_field():
    response = APIClient().post(SIGNUP, {}, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert {"email", "password", "first_name", "last_name"} <= set(body["errors"])


# Tokens --------------------------------------------------------------------------------------


def test_token_obtain_with_good_credentials_returns_working_pair():
    user = UserFactory()

    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) >= {"access", "refresh"}
    assert bearer_client(token=pair["access"]).get(ME).json()["email"] == user.email


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "traveller-known@example.test", "password": "not the password"},
        {"email": "nobody@example.test", "password": PASSWORD},
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_token_obtain_with_bad_credentials_is_401_authentication_failed(credentials):
    UserFactory(email="traveller-known@example.test")

    response = APIClient().post(TOKEN, credentials, format="json")

    body = assert_problem(response, 401, "authentication_failed")
    assert "access" not in body


def test_token_obtain_for_deactivated_user_is_refused():
    user = UserFactory(is_active=False)

    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert_problem(response, 401, "authentication_failed")


def test_access_token_is_hs256_with_audience_issuer_and_short_lifetime():
    user = UserFactory()
    pair = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json").json()

    header = jwt.get_unverified_header(pair["access"])
    claims = jwt.decode(
        pair["access"],
        settings.JWT_SIGNING_KEY,
        algorithms=["HS256"],
        audience=settings.SIMPLE_JWT["AUDIENCE"],
        issuer=settings.SIMPLE_JWT["ISSUER"],
    )
    assert header["alg"] == "HS256"
    assert settings.JWT_SIGNING_KEY != settings.SECRET_KEY
    assert 5 * 60 <= claims["exp"] - claims["iat"] <= 15 * 60
    assert claims["exp"] - claims["iat"] == settings.API_ACCESS_TOKEN_MINUTES * 60
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(pair["access"], settings.SECRET_KEY, algorithms=["HS256"], options={"verify_aud": False})


def test_bearer_access_token_reads_me():
    user = UserFactory(first_name="Grace")

    response = bearer_client(user).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "first_name": "Grace",
        "last_name": user.last_name,
        "email_new_routes": user.email_new_routes,
        "email_monthly_report": user.email_monthly_report,
        "is_staff": False,
    }


def test_refresh_token_is_not_accepted_as_bearer():
    user = UserFactory()

    response = bearer_client(token=str(RefreshToken.for_user(user))).get(ME)

    assert_problem(response, 401, "token_not_valid")


# /me -----------------------------------------------------------------------------------------


def test_patch_me_changes_names_and_preferences():
    user = UserFactory(first_name="Old", last_name="Name", email_new_routes=True, email_monthly_report=True)

    response = bearer_client(user).patch(
        ME,
        {"first_name": "Ada", "last_name": "Lovelace", "email_new_routes": False, "email_monthly_report": False},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Ada"
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.email_new_routes is False
    assert user.email_monthly_report is False


def test_patch_me_changes_only_what_is_sent():
    user = UserFactory(first_name="Keep", last_name="Me", email_new_routes=True)

    response = bearer_client(user).patch(ME, {"email_new_routes": False}, format="json")

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email_new_routes) == ("Keep", "Me", False)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"first_name": "x" * 151}, "first_name"),
        ({"email_new_routes": "perhaps"}, "email_new_routes"),
        ({"last_name": ["a", "list"]}, "last_name"),
    ],
)
def test_patch_me_refuses_bad_input_and_changes_nothing(payload, field):
    user = UserFactory(first_name="Same", last_name="Person", email_new_routes=True)

    response = bearer_client(user).patch(ME, payload, format="json")

    body = assert_problem(response, 400, "validation_error")
    assert field in body["errors"]
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email_new_routes) == ("Same", "Person", True)


def test_patch_me_cannot_change_email_or_make_self_staff():
    user = UserFactory(email="mine@example.test")

    response = bearer_client(user).patch(
        ME, {"email": "other@example.test", "is_staff": True, "id": 999999}, format="json"
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.email == "mine@example.test"
    assert user.is_staff is False


# Refresh rotation and logout -----------------------------------------------------------------


def obtain_pair(user) -> dict:
    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_refresh_returns_new_pair_and_blacklists_the_old_refresh_token():
    user = UserFactory()
    first = obtain_pair(user)

    rotated = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200, rotated.content
    pair = rotated.json()
    assert pair["refresh"] != first["refresh"]
    assert pair["access"] != first["access"]
    assert bearer_client(token=pair["access"]).get(ME).status_code == 200

    again = APIClient().post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert_problem(again, 401, "token_not_valid")

    onward = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert onward.status_code == 200, onward.content


def test_refresh_with_an_access_token_is_refused():
    user = UserFactory()

    response = APIClient().post(REFRESH, {"refresh": obtain_pair(user)["access"]}, format="json")

    assert_problem(response, 401, "token_not_valid")


def test_refresh_with_garbage_is_refused():
    response = APIClient().post(REFRESH, {"refresh": "not.a.token"}, format="json")

    assert_problem(response, 401, "token_not_valid")


def test_logout_blacklists_the_refresh_token():
    user = UserFactory()
    pair = obtain_pair(user)

    logout = APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert logout.status_code == 200, logout.content
    refresh = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert_problem(refresh, 401, "token_not_valid")


def test_logout_twice_is_refused_the_second_time():
    user = UserFactory()
    pair = obtain_pair(user)
    APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    response = APIClient().post(LOGOUT, {"refresh": pair["refresh"]}, format="json")

    assert_problem(response, 401, "token_not_valid")


# What a token must be ------------------------------------------------------------------------


def test_access_token_expires_after_the_configured_minutes():
    user = UserFactory()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        access = access_for(user)
    client = bearer_client(token=access)

    with time_machine.travel(start + timedelta(minutes=settings.API_ACCESS_TOKEN_MINUTES - 1), tick=False):
        assert client.get(ME).status_code == 200
    with time_machine.travel(start + timedelta(minutes=settings.API_ACCESS_TOKEN_MINUTES, seconds=30), tick=False):
        response = client.get(ME)

    assert_problem(response, 401, "token_not_valid")


def test_refresh_token_still_works_after_the_access_token_expired():
    user = UserFactory()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        pair = obtain_pair(user)

    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert bearer_client(token=pair["access"]).get(ME).status_code == 401
        response = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
        assert response.status_code == 200, response.content
        assert bearer_client(token=response.json()["access"]).get(ME).status_code == 200


def test_hand_built_token_with_the_sites_claims_and_key_is_accepted():
    # The control for the refusals below: PyJWT builds tokens the API does accept.
    user = UserFactory()
    token = jwt.encode(claims_for(user), settings.JWT_SIGNING_KEY, algorithm="HS256")

    assert bearer_client(token=token).get(ME).status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda: settings.SECRET_KEY, id="secret-key"),
        pytest.param(lambda: "some-other-key-entirely-0123456789abcdef", id="other-key"),
    ],
)
def test_token_signed_with_another_key_is_refused(key):
    user = UserFactory()
    token = jwt.encode(claims_for(user), key(), algorithm="HS256")

    assert_problem(bearer_client(token=token).get(ME), 401, "token_not_valid")


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://elsewhere.example/api"},
        {"iss": "https://elsewhere.example"},
        {"aud": None},
        {"iss": None},
    ],
    ids=["wrong-aud", "wrong-iss", "no-aud", "no-iss"],
)
def test_token_with_wrong_or_missing_audience_or_issuer_is_refused(overrides):
    user = UserFactory()
    claims = {name: value for name, value in claims_for(user, **overrides).items() if value is not None}
    token = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")

    assert_problem(bearer_client(token=token).get(ME), 401, "token_not_valid")


def test_token_with_alg_none_is_refused():
    user = UserFactory()
    token = jwt.encode(claims_for(user), None, algorithm="none")
    assert jwt.get_unverified_header(token)["alg"] == "none"

    assert_problem(bearer_client(token=token).get(ME), 401, "token_not_valid")


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_token_with_another_algorithm_is_refused_even_with_the_right_key(algorithm):
    user = UserFactory()
    token = jwt.encode(claims_for(user), settings.JWT_SIGNING_KEY, algorithm=algorithm)

    assert_problem(bearer_client(token=token).get(ME), 401, "token_not_valid")


def test_token_without_user_id_is_refused():
    user = UserFactory()
    claims = claims_for(user)
    del claims["user_id"]
    token = jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm="HS256")

    assert_problem(bearer_client(token=token).get(ME), 401, "token_not_valid")


def test_signed_token_with_a_non_numeric_user_id_is_refused_not_a_500():
    user = UserFactory()
    token = jwt.encode(claims_for(user, user_id="not-a-number"), settings.JWT_SIGNING_KEY, algorithm="HS256")

    response = bearer_client(token=token).get(ME)

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_refresh_token_signed_with_another_key_is_refused():
    user = UserFactory()
    claims = jwt.decode(str(RefreshToken.for_user(user)), options={"verify_signature": False})
    forged = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")

    response = APIClient().post(REFRESH, {"refresh": forged}, format="json")

    assert_problem(response, 401, "token_not_valid")


def test_token_for_a_deactivated_user_is_refused():
    user = UserFactory()
    client = bearer_client(user)
    assert client.get(ME).status_code == 200

    User.objects.filter(pk=user.pk).update(is_active=False)

    body = assert_problem(client.get(ME), 401, "token_not_valid")
    assert "inactive" in body["detail"].lower()


def test_refresh_for_a_deactivated_user_is_refused():
    user = UserFactory()
    pair = obtain_pair(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] in {"token_not_valid", "authentication_failed"}
    assert "access" not in response.json()


def test_password_change_ends_access_tokens_issued_before_it():
    user = UserFactory()
    client = bearer_client(user)
    assert client.get(ME).status_code == 200

    user.set_password("a brand new passphrase 2027")
    user.save()

    assert_problem(client.get(ME), 401, "token_not_valid")
    assert bearer_client(user).get(ME).status_code == 200


def test_token_for_a_deleted_user_is_refused():
    user = UserFactory()
    client = bearer_client(user)
    user.delete()

    assert_problem(client.get(ME), 401, "token_not_valid")


# Session authentication (the site's own JavaScript) ------------------------------------------


def test_session_login_reads_me():
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_session_write_without_csrf_token_is_refused_with_csrf_failed():
    user = UserFactory(first_name="Before")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.patch(ME, {"first_name": "After"}, content_type="application/json")

    assert_problem(response, 403, "csrf_failed")
    user.refresh_from_db()
    assert user.first_name == "Before"


def test_session_post_without_csrf_token_is_refused_with_csrf_failed():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(
        "/api/v1/holds", {"flight": 1, "passengers": 1}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert_problem(response, 403, "csrf_failed")


def test_session_write_with_csrf_token_is_accepted():
    user = UserFactory(first_name="Before")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    csrf = get_random_string(32)  # what the site's CSRF cookie holds; the JavaScript sends it back
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf

    response = client.patch(ME, {"first_name": "After"}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.first_name == "After"


def test_bearer_write_needs_no_csrf_token():
    user = UserFactory(first_name="Before")
    client = Client(enforce_csrf_checks=True)

    response = client.patch(
        ME, {"first_name": "After"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access_for(user)}"
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.first_name == "After"
