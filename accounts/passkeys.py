"""Passkeys (WebAuthn, django-otp-webauthn) as a second factor beside the authenticator app:
added from the profile by a session already verified, used on the two-step page. Never a way
in without the password (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off).

The library's views, with our rules: adding one needs a verified session (staff must set up
the app first, as the rule says; nobody adds one with the password alone), and using one
verifies the session as a code does (accounts.two_factor.second_factor_login: a new session
key, and later logins ask again).
"""

from django_otp_webauthn import exceptions, views

from booking_site.lib.http import safe_next_url

from . import two_factor


class NotVerified(exceptions.OTPWebAuthnApiError):
    status_code = 403
    code = "second_factor_required"
    default_detail = "Verify this sign-in with your authenticator app first, then add a passkey."


class VerifiedSessionOnly:
    """Adding a passkey needs a session verified with the app (or a passkey, or a code)."""

    def check_can_register(self):
        if not two_factor.is_verified(self.request.user):
            raise NotVerified()


class RegistrationBegin(VerifiedSessionOnly, views.BeginCredentialRegistrationView):
    pass


class RegistrationComplete(VerifiedSessionOnly, views.CompleteCredentialRegistrationView):
    pass


class AuthenticationBegin(views.BeginCredentialAuthenticationView):
    pass


class AuthenticationComplete(views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        if not self.request.user.is_authenticated or device.user_id != self.request.user.pk:
            raise exceptions.CredentialUserMismatch()
        two_factor.second_factor_login(self.request, device)

    def get_success_url(self):
        return safe_next_url(self.request, self.request.GET.get("next"), default="/")
