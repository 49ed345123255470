import hashlib
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError

from booking_site.lib.http import safe_next_url

from . import lockout, two_factor
from .exceptions import EmailTaken
from .forms import ProfileForm, SignupForm
from .services import user_signup_once
from .unsubscribe import BadUnsubscribeToken, unsubscribe_read, user_list_emails_stop

logger = logging.getLogger(__name__)


def signup(request):
    if request.user.is_authenticated:
        return redirect("flights:search")
    next_url = safe_next_url(
        request,
        request.POST.get("next") or request.GET.get("next"),
        default="",
        avoid=(reverse("accounts:signup"), reverse("accounts:login")),
    )
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, created = user_signup_once(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                request=request,
            )
        except EmailTaken as error:
            form.add_error("email", error.message)
            return render(request, "accounts/user_signup.html", {"form": form, "next": next_url})
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if not created:  # this person's own sign-up a moment ago (a double click, another tab)
            return redirect(next_url or reverse("flights:search"))
        messages.success(request, f"Welcome aboard, {user.first_name}! Your account is ready.")
        return redirect(next_url or reverse("flights:search"))
    return render(request, "accounts/user_signup.html", {"form": form, "next": next_url})


class LoginView(auth_views.LoginView):
    """Django's login; `next` must be a path on this site that is not the login page itself
    (a signed-in visitor sent back to the login page would loop)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self):
        candidate = self.request.POST.get(self.redirect_field_name, self.request.GET.get(self.redirect_field_name))
        return safe_next_url(
            self.request, candidate, default="", avoid=(reverse("accounts:login"), reverse("accounts:signup"))
        )

    def get_default_redirect_url(self):
        """Without a `next`, everyone lands where they work: staff on the staff dashboard,
        passengers on the search."""
        if self.request.user.is_staff:
            return reverse("staff:home")
        return super().get_default_redirect_url()


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/user_profile.html",
        {
            "form": form,
            "two_factor_on": two_factor.has_second_factor(request.user),
            "two_factor_mandatory": two_factor.second_factor_mandatory(request.user),
            "passkeys": list(two_factor.passkeys_of(request.user)),
            "can_add_passkey": two_factor.is_verified(request.user),
        },
    )


# The signed token in the URL is what authorises the change, not a session: whoever can
# forge the POST already holds the link. Exempt from CSRF so a mail provider's RFC 8058
# one-click POST (List-Unsubscribe-Post, no cookies) works. GET only asks: link scanners
# that open every URL in a message must not unsubscribe anyone.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        target = unsubscribe_read(token=token)
    except BadUnsubscribeToken:
        return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
    page = {"email": target.user.email, "email_list": target.email_list}
    if request.method == "POST":
        try:
            stopped = user_list_emails_stop(token=token)
        except BadUnsubscribeToken:  # the account went away between the two reads
            return render(request, "accounts/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "accounts/unsubscribe_done.html", {**page, "stopped": stopped})
    return render(request, "accounts/unsubscribe.html", {**page, "already": not target.subscribed})


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), saying it happened on the next page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have logged out. See you on board soon.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per address and per client: past either limit the
    e-mail is not sent, and the page reads exactly as when it is (whether an account exists,
    or was asked for too often, is never shown)."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        # Every request counts (axes, by address and client): from the LOGIN_FAILURE_LIMIT-th
        # in a row from one client for one address, that pair is locked and nothing is sent,
        # whether the account exists or not.
        lockout.guard_attempt(self.request, lockout.RESET_REQUEST, email)
        if lockout.guard_locked(self.request, lockout.RESET_REQUEST, email):
            return lockout.lockout_page(self.request, lockout.RESET_REQUEST)
        if self._limited(email):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)

    def _limited(self, email: str) -> bool:
        address = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        try:
            by_client = is_ratelimited(
                self.request,
                group="password-reset-ip",
                key="ip",
                rate=settings.PASSWORD_RESET_RATE_IP,
                increment=True,
            )
            by_address = is_ratelimited(
                self.request,
                group="password-reset-address",
                key=lambda _group, _request: address,
                rate=settings.PASSWORD_RESET_RATE_ADDRESS,
                increment=True,
            )
        except RedisError:
            # Without the counters, send: a reset link is how a locked-out passenger gets back in.
            logger.warning("Password reset not rate-limited: the rate-limit store is unreachable")
            return False
        if by_client or by_address:
            logger.info("Password reset e-mail not sent: rate limit (%s)", "client" if by_client else "address")
        return by_client or by_address
