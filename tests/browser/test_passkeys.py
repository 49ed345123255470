"""A staff member adds a passkey and signs in with it (issue 14), in Chromium with a virtual
authenticator (the Chrome DevTools WebAuthn domain stands in for a fingerprint reader)."""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, StaffFactory, authenticator_code, authenticator_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _relying_party(settings, live_server):
    """A passkey belongs to the site's host: here the live server's."""
    url = urlsplit(live_server.url)
    settings.OTP_WEBAUTHN_RP_ID = url.hostname
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{url.scheme}://{url.netloc}"]


def _fingerprint_reader(page) -> None:
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def _log_in(page, email: str) -> None:
    page.goto(reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()


def test_staff_add_a_passkey_and_sign_in_with_it_instead_of_a_code(page, screenshot):
    staff = StaffFactory(first_name="Grace", last_name="Hopper", email="grace@skyway.test")
    device = authenticator_for(staff)
    _fingerprint_reader(page)

    _log_in(page, staff.email)
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)  # none yet
    page.get_by_role("textbox", name="Code").fill(authenticator_code(device))
    page.get_by_role("button", name="Continue").click()

    page.goto(reverse("accounts:profile"))
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("status").filter(has_text="Registration successful")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Remove")).to_have_count(1)
    screenshot(page, "profile-passkeys")

    page.get_by_role("button", name="Log out").click()
    _log_in(page, staff.email)
    screenshot(page, "two-step-with-passkey")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: urlsplit(url).path == reverse("staff:home"))  # on to where the login was going
    expect(page.get_by_role("textbox", name="Code")).to_have_count(0)
    page.goto(reverse("staff:schedule"))
    expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
