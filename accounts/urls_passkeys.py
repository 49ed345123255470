"""/accounts/passkeys/: the WebAuthn ceremonies (accounts.passkeys), under the namespace the
library's scripts reverse."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import passkeys

app_name = "otp_webauthn"

urlpatterns = [
    path("registration/begin/", passkeys.RegistrationBegin.as_view(), name="credential-registration-begin"),
    path("registration/complete/", passkeys.RegistrationComplete.as_view(), name="credential-registration-complete"),
    path("authentication/begin/", passkeys.AuthenticationBegin.as_view(), name="credential-authentication-begin"),
    path(
        "authentication/complete/",
        passkeys.AuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
