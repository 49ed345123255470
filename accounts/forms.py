from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.urls import reverse

from .models import User

# The autocomplete tokens of a person's own name and address (WCAG 1.3.5): browsers and
# password managers fill them in, and assistive technology can tell what each field asks.
NAME_WIDGETS = {
    "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
    "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
}


class SignupForm(UserCreationForm):
    first_name = forms.CharField(label="First name", max_length=150, widget=NAME_WIDGETS["first_name"])
    last_name = forms.CharField(label="Last name", max_length=150, widget=NAME_WIDGETS["last_name"])

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email")
        labels = {"email": "E-mail address"}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.pop("autofocus", None)
        self.fields["first_name"].widget.attrs["autofocus"] = True
        self.fields["password2"].label = "Confirm password"

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail address already exists. Log in or reset your password."
            )
        return email


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail address", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


def zone_choices() -> list[tuple[str, str]]:
    return [
        ("", f"The site's ({settings.TIME_ZONE})"),
        *((zone, zone.replace("_", " ")) for zone in sorted(available_timezones())),
    ]


class ProfileForm(forms.ModelForm):
    """Names, e-mail choices and the person's time zone: the clock of the times that belong to
    no airport (booking_site.lib.viewer_zone); for staff also the days their dashboard counts."""

    time_zone = forms.ChoiceField(
        label="Your time zone",
        required=False,
        choices=zone_choices,
        help_text="For times that belong to no airport, such as alerts, seat holds and downloads; "
        "Automatic uses your browser's. Flight times are always local to each airport.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", "Automatic"), *zone_choices()[1:]]
        if self.instance and self.instance.is_staff:
            self.fields[
                "time_zone"
            ].help_text += f" The staff dashboard counts days in it (Automatic: the site's, {settings.TIME_ZONE})."

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email_new_routes", "email_monthly_report", "time_zone")
        widgets = NAME_WIDGETS
        help_texts = {
            "email_new_routes": "An evening e-mail now and then, when we open new routes while you have no "
            "trip booked. Each one has a link to stop them.",
            "email_monthly_report": "On the 1st, after a month in which you flew, booked or got a refund: your "
            "trips, bookings and spending in numbers. Each one has a link to stop them.",
        }


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset flow, but the e-mail goes through the outbox like every other one."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        from notifications.services import outbox_enqueue

        link = reverse("accounts:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        outbox_enqueue(
            to=to_email,
            template="password_reset",
            user_id=context["user"].pk,
            context={"email": to_email, "url": f"{context['protocol']}://{context['domain']}{link}"},
        )
