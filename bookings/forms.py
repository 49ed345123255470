import uuid

from django import forms
from django.conf import settings

from flights.forms import StaffDateField


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


class BookingForm(forms.Form):
    """One name per passenger, plus the one-time token that makes a double submit harmless."""

    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This booking form is out of date. Please check the details and book again.",
            "invalid": "This booking form is out of date. Please check the details and book again.",
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
            self.fields[f"passenger_{index}"] = forms.CharField(
                label=f"Passenger {index}: full name as on the passport",
                max_length=100,
                widget=forms.TextInput(attrs={"autocomplete": "name" if index == 1 else "off"}),
                error_messages={"required": f"Enter the full name of passenger {index}."},
            )
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

    def passenger_fields(self):
        """(name field, seat field) per passenger."""
        return [(self[f"passenger_{index}"], self[f"seat_{index}"]) for index in range(1, self.passenger_total + 1)]

    def clean(self):
        data = super().clean()
        if data.get("passengers") not in (None, self.passenger_total):
            raise forms.ValidationError("The number of passengers changed; please check the names and try again.")
        for index in range(1, self.passenger_total + 1):
            name = " ".join((data.get(f"passenger_{index}") or "").split())
            if name and len(name) < 2:
                self.add_error(f"passenger_{index}", "Enter the passenger's full name.")
            data[f"passenger_{index}"] = name
        chosen = [data.get(f"seat_{index}") for index in range(1, self.passenger_total + 1)]
        for index, seat in enumerate(chosen, start=1):
            if seat and chosen.index(seat) != index - 1:
                self.add_error(f"seat_{index}", f"Seat {seat} is already chosen for another passenger.")
        return data

    def passenger_names(self) -> list[str]:
        return [self.cleaned_data[f"passenger_{index}"] for index in range(1, self.passenger_total + 1)]

    def chosen_seats(self) -> list[str | None]:
        return [self.cleaned_data.get(f"seat_{index}") or None for index in range(1, self.passenger_total + 1)]


class ManifestLookupForm(forms.Form):
    number = forms.CharField(label="Flight number", max_length=8)
    date = StaffDateField(
        label="Departure date (local)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-12-24."},
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()
