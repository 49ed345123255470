from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .forms import ProfileForm, SignupForm
from .services import user_signup
from .unsubscribe import BadUnsubscribeToken, unsubscribe_read, user_list_emails_stop


def signup(request):
    if request.user.is_authenticated:
        return redirect("flights:search")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome aboard, {user.first_name}! Your account is ready.")
        return redirect(next_url or "flights:search")
    return render(request, "accounts/user_signup.html", {"form": form, "next": next_url})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/user_profile.html", {"form": form})


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
