import re
import uuid
from datetime import date

from django import forms
from django.conf import settings

from .payments import Card
from .services import Passenger


def passenger_count(value, default: int = 1) -> int:
    """A passenger count from a query string or form, clamped to what one booking allows."""
    try:
        count = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(count, 1), settings.MAX_PASSENGERS_PER_BOOKING)


class SeatField(forms.ChoiceField):
    """Offers the free seats; accepts any seat of the cabin, so that a seat taken since the
    page was shown reaches the booking service, which says so and suggests nearby ones."""

    def __init__(self, *args, cabin_labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cabin_labels = frozenset(cabin_labels)

    def valid_value(self, value) -> bool:
        return value in self.cabin_labels or super().valid_value(value)


class SeatForm(forms.Form):
    """Checkout step 1: how many travel and a seat for each (or "choose for me"), plus the
    one-time token that makes a double submit hold the seats once."""

    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is out of date. Please check your seats and try again.",
            "invalid": "This form is out of date. Please check your seats and try again.",
        },
    )
    passengers = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        max_value=settings.MAX_PASSENGERS_PER_BOOKING,
        error_messages={
            key: f"Choose between 1 and {settings.MAX_PASSENGERS_PER_BOOKING} passengers."
            for key in ("required", "invalid", "min_value", "max_value")
        },
    )

    def __init__(self, *args, passengers: int = 1, free_seats=(), cabin_labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        seat_choices = [("", "Choose for me")] + [(seat.label, f"{seat.label} ({seat.kind})") for seat in free_seats]
        self.initial.setdefault("token", uuid.uuid4())
        self.initial.setdefault("passengers", passengers)
        self.passenger_total = passengers
        for index in range(1, passengers + 1):
            self.fields[f"seat_{index}"] = SeatField(
                label=f"Seat for passenger {index}",
                choices=seat_choices,
                cabin_labels=cabin_labels,
                required=False,
                error_messages={"invalid_choice": "There is no such seat on this flight."},
            )

    def hidden_errors(self) -> list[str]:
        """Errors of the hidden fields: shown with the form's own errors, never silently lost."""
        return [str(error) for name in ("token", "passengers") for error in self[name].errors]

    def seat_fields(self):
        return [self[f"seat_{index}"] for index in range(1, self.passenger_total + 1)]

    def clean(self):
        data = super().clean()
        if data.get("passengers") not in (None, self.passenger_total):
            raise forms.ValidationError("The number of passengers changed; please check the seats and try again.")
        chosen = [data.get(f"seat_{index}") for index in range(1, self.passenger_total + 1)]
        for index, seat in enumerate(chosen, start=1):
            if seat and chosen.index(seat) != index - 1:
                self.add_error(f"seat_{index}", f"Seat {seat} is already chosen for another passenger.")
        return data

    def chosen_seats(self) -> list[str | None]:
        return [self.cleaned_data.get(f"seat_{index}") or None for index in range(1, self.passenger_total + 1)]


def _clean_name(value: str) -> str:
    return " ".join((value or "").split())


def _autocomplete(index: int, token: str) -> str:
    """Passenger 1 is usually the person booking: their own details ("given-name"). Each other
    passenger is a person of their own, a section of the form ("section-passenger2 given-name"),
    so a browser fills them from another saved contact, never with the booker's name again."""
    return token if index == 1 else f"section-passenger{index} {token}"


class PassengerForm(forms.Form):
    """Checkout step 2: each passenger's name as on the passport, and date of birth when the
    site asks for it (ASK_DATE_OF_BIRTH). Passenger 1 starts as the account holder (`holder`),
    to keep or change."""

    def __init__(self, *args, tickets=(), ask_date_of_birth: bool = False, holder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tickets = list(tickets)
        self.ask_date_of_birth = ask_date_of_birth
        for index, ticket in enumerate(self.tickets, start=1):
            first, last = (ticket.passenger_name[: -len(ticket.last_name)].strip(), ticket.last_name)
            if not ticket.last_name and index == 1 and holder is not None:
                first, last = _clean_name(holder.first_name), _clean_name(holder.last_name)
            self.fields[f"first_names_{index}"] = forms.CharField(
                label="Given names",
                max_length=60,
                required=False,
                initial=first[:60],
                widget=forms.TextInput(attrs={"autocomplete": _autocomplete(index, "given-name")}),
            )
            self.fields[f"last_name_{index}"] = forms.CharField(
                label="Last name",
                max_length=38,
                initial=last[:38],
                widget=forms.TextInput(attrs={"autocomplete": _autocomplete(index, "family-name")}),
                error_messages={"required": f"Enter the last name of passenger {index}, as on the passport."},
            )
            if ask_date_of_birth:
                self.fields[f"date_of_birth_{index}"] = forms.DateField(
                    label="Date of birth",
                    initial=ticket.date_of_birth,
                    widget=forms.DateInput(
                        attrs={"type": "date", "autocomplete": _autocomplete(index, "bday")}, format="%Y-%m-%d"
                    ),
                    error_messages={
                        "required": f"Enter the date of birth of passenger {index}.",
                        "invalid": "Enter a date like 1990-04-23.",
                    },
                )

    def passenger_rows(self):
        """(ticket, [bound fields]) per passenger, in seat order."""
        rows = []
        for index, ticket in enumerate(self.tickets, start=1):
            names = [f"first_names_{index}", f"last_name_{index}"]
            if self.ask_date_of_birth:
                names.append(f"date_of_birth_{index}")
            rows.append((index, ticket, [self[name] for name in names]))
        return rows

    def clean(self):
        data = super().clean()
        today = date.today()
        for index in range(1, len(self.tickets) + 1):
            for key in (f"first_names_{index}", f"last_name_{index}"):
                data[key] = _clean_name(data.get(key))
            if f"last_name_{index}" not in self.errors and len(data[f"last_name_{index}"]) < 1:
                self.add_error(f"last_name_{index}", f"Enter the last name of passenger {index}, as on the passport.")
            born = data.get(f"date_of_birth_{index}")
            if born and not (today.replace(year=today.year - 120) <= born <= today):
                self.add_error(f"date_of_birth_{index}", "Enter a date of birth in the past 120 years.")
        return data

    def passengers(self) -> list[Passenger]:
        return [
            Passenger(
                first_names=self.cleaned_data[f"first_names_{index}"],
                last_name=self.cleaned_data[f"last_name_{index}"],
                date_of_birth=self.cleaned_data.get(f"date_of_birth_{index}"),
            )
            for index in range(1, len(self.tickets) + 1)
        ]


def luhn_valid(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class UnrenderedTextInput(forms.TextInput):
    """A text box that never writes the submitted value back into the page."""

    def format_value(self, value):
        return None


class PaymentForm(forms.Form):
    """Checkout step 3: the card. The number is checked, handed to the payment provider and
    forgotten: the form never renders it back and nothing stores it."""

    holder = forms.CharField(
        label="Name on card",
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
        error_messages={"required": "Enter the name on the card."},
    )
    number = forms.CharField(
        label="Card number",
        max_length=40,
        widget=UnrenderedTextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric", "placeholder": "1234 5678 9012 3456"}
        ),
        error_messages={"required": "Enter the card number."},
    )
    expiry = forms.CharField(
        label="Expiry date (MM/YY)",
        max_length=12,
        # data-card-expiry: static/js/checkout.js writes it as MM/YY while it is typed.
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM/YY", "data-card-expiry": ""}
        ),
        error_messages={
            "required": "Enter the card's expiry date, like 08/29.",
            "max_length": "Enter the expiry date as MM/YY, like 08/29.",
        },
    )
    cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=4,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}, render_value=False),
        error_messages={"required": "Enter the 3 or 4 digit security code from the back of the card."},
    )

    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].replace("-", " ").split())
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise forms.ValidationError("Enter the card number: 12 to 19 digits.")
        if not luhn_valid(number):
            raise forms.ValidationError("This card number is not valid. Please check it.")
        return number

    def clean_expiry(self) -> tuple[int, int]:
        """The month and four-digit year of "12/29", "1229", "12 / 2029", "12-29", "122029"."""
        compact = "".join(self.cleaned_data["expiry"].split())
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{2}|\d{4})", compact) or re.fullmatch(r"(\d{2})(\d{2}|\d{4})", compact)
        if not match or not 1 <= int(match[1]) <= 12:
            raise forms.ValidationError("Enter the expiry date as MM/YY, like 08/29.")
        month, year = int(match[1]), int(match[2])
        year = year + 2000 if year < 100 else year
        today = date.today()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError("This card has expired. Please use another card.")
        return month, year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("The security code is the 3 or 4 digits on the back of the card.")
        return cvc

    def card(self) -> Card:
        month, year = self.cleaned_data["expiry"]
        return Card(
            number=self.cleaned_data["number"],
            expiry_month=month,
            expiry_year=year,
            cvc=self.cleaned_data["cvc"],
            holder=self.cleaned_data["holder"].strip(),
        )


class CancelForm(forms.Form):
    """Which passengers to cancel (`scope` "some"), or the whole booking (`scope` "whole").
    Nobody is chosen to begin with, and cancelling everyone is a choice of its own, never a
    default. `confirm` is set on the second step, after the refund due has been shown, with
    the refund total shown then (`quoted`)."""

    SOME = "some"
    WHOLE = "whole"

    scope = forms.ChoiceField(
        choices=[(SOME, "Some passengers"), (WHOLE, "The whole booking")], required=False, widget=forms.HiddenInput
    )
    tickets = forms.TypedMultipleChoiceField(
        label="Passengers to cancel",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "That passenger is not on this booking, or is already cancelled."},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The refund total the review showed, as "130.00": a different total now is reviewed again.
    quoted = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, tickets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tickets"].choices = [
            (ticket.pk, f"{ticket.passenger_name} (seat {ticket.seat})") for ticket in tickets
        ]

    def clean(self):
        data = super().clean()
        data["whole"] = data.get("scope") == self.WHOLE
        if not data["whole"] and "tickets" not in self.errors and not data.get("tickets"):
            self.add_error("tickets", "Choose at least one passenger to cancel.")
        return data


class ManageBookingForm(forms.Form):
    reference = forms.CharField(
        label="Booking reference",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "e.g. K7QX2M"}
        ),
        error_messages={
            "required": "Enter your 6-character booking reference.",
            "min_length": "A booking reference has 6 letters and digits.",
            "max_length": "A booking reference has 6 letters and digits.",
        },
    )
    last_name = forms.CharField(
        label="Last name of any passenger",
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"required": "Enter the last name of a passenger on the booking."},
    )

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip().upper()
        if not reference.isalnum() or not reference.isascii():
            raise forms.ValidationError("A booking reference has 6 letters and digits.")
        return reference
