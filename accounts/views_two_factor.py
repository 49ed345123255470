"""Setting up and using the second factor (accounts/two_factor.py)."""

from base64 import b32encode
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from booking_site.lib.http import safe_next_url

from . import lockout, two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": "Enter the code."},
    )


def _qr_svg(device: TOTPDevice) -> str:
    label = "QR code to add this account to an authenticator app"
    svg = segno.make_qr(device.config_url, error="m").svg_inline(scale=4, unit="px", title=label, lineclass=None)
    return svg.replace("<svg", f'<svg role="img" aria-label="{escape(label)}"', 1)


def _next_url(request) -> str:
    return safe_next_url(request, request.POST.get("next") or request.GET.get("next"), default="")


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Add an authenticator app: scan the code (or type the key), then enter a code it shows.
    The recovery codes are shown once, on success. Replacing an app that is set up already
    needs a session verified with it (or a recovery code): a password alone must not be
    enough to swap in an attacker's phone."""
    next_url = _next_url(request)
    if two_factor.has_second_factor(request.user) and not two_factor.is_verified(request.user):
        return redirect(_with_next(reverse("accounts:two_factor_verify"), next_url))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = two_factor.totp_enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.totp_enrolment_confirm(request=request, device=device, token=form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "accounts/two_factor_done.html",
                {"codes": codes, "next": next_url or reverse("accounts:profile")},
            )
        form.add_error("code", "That code is not right. Check the app's clock and enter the newest code.")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device),
            "key": b32encode(device.bin_key).decode(),
            "next": next_url,
            "mandatory": two_factor.second_factor_mandatory(request.user),
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """Enter a code from the authenticator app (or a recovery code) for this session; an
    account without a second factor is sent to set one up (staff get here from any staff page)."""
    next_url = _next_url(request)
    if not two_factor.has_second_factor(request.user):
        return redirect(_with_next(reverse("accounts:two_factor_setup"), next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = request.user.email
        if lockout.guard_locked(request, lockout.SECOND_FACTOR, email):
            return lockout.lockout_page(request, lockout.SECOND_FACTOR)
        if two_factor.second_factor_verify(request=request, token=form.cleaned_data["code"]):
            return redirect(next_url or reverse("staff:home" if request.user.is_staff else "flights:search"))
        lockout.guard_attempt(request, lockout.SECOND_FACTOR, email)  # recorded; locks after several
        form.add_error("code", "That code is not right, or was used already.")
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": next_url, "has_passkey": two_factor.passkeys_of(request.user).exists()},
    )


@login_required
@require_http_methods(["POST"])
def two_factor_off(request):
    """A passenger turns two-step sign-in off, from a session verified with it. Staff keep it."""
    if not two_factor.has_second_factor(request.user):
        messages.info(request, "Two-step sign-in is not on.")
    elif not two_factor.is_verified(request.user):
        return redirect(_with_next(reverse("accounts:two_factor_verify"), reverse("accounts:profile")))
    elif two_factor.second_factor_remove(request=request):
        messages.success(request, "Two-step sign-in is off. You can turn it on again from here.")
    else:
        messages.error(
            request, "Staff accounts must keep two-step sign-in. To move it to a new phone, replace the app."
        )
    return redirect("accounts:profile")


@login_required
@require_http_methods(["POST"])
def passkey_remove(request, passkey_id: int):
    """Remove one of your passkeys, from a verified session (another's: 404)."""
    if not two_factor.is_verified(request.user):
        return redirect(_with_next(reverse("accounts:two_factor_verify"), reverse("accounts:profile")))
    if not two_factor.passkey_remove(request=request, passkey_id=passkey_id):
        raise Http404("No such passkey.")
    messages.success(request, "The passkey is removed.")
    return redirect("accounts:profile")
