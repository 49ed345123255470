"""Forms only the staff pages use: the schedule filter, the manifest lookup, the import
upload and the sent-mail filter. The flight form itself (StaffFlightForm) stays in flights,
where the CSV import validates each row with it."""

from django import forms
from django.conf import settings

from flights.forms import StaffDateField
from flights.imports.parsing import size_text
from flights.search_cache import cached_airports_matching
from notifications.models import OutboxMessage


def _place_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "City or code", "autocomplete": "off"}),
    )


class StaffFlightFilterForm(forms.Form):
    """The schedule's filter. From and To take what the passengers' search takes (an airport
    code, or a city for all its airports) and resolve it the same way (flights.search_cache);
    cleaned, each is the list of airports it means, or None when left empty."""

    number = forms.CharField(label="Flight number", required=False, max_length=8)
    date = StaffDateField(
        label="Date (local departure)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    origin = _place_field("From")
    destination = _place_field("To")

    def clean(self):
        data = super().clean()
        places = {name: data[name].strip() for name in ("origin", "destination") if data.get(name, "").strip()}
        matches = cached_airports_matching(list(places.values())) if places else {}
        for name in ("origin", "destination"):
            text = places.get(name)
            data[name] = matches[text] if text else None
            if text and not matches[text]:
                self.add_error(
                    name, f"No airport or city is called “{text}”. Try a code like LHR or a city like London."
                )
        return data


class ManifestLookupForm(forms.Form):
    number = forms.CharField(label="Flight number", max_length=8)
    date = StaffDateField(
        label="Departure date (local)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-12-24."},
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()


class FlightImportForm(forms.Form):
    # One-time token: the same form sent twice (a double click) starts one import.
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": "Choose the CSV file to import.",
            "empty": "The file is empty. Download the sample file to see what an import looks like.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"Saved as CSV UTF-8; at most {size_text(settings.FLIGHT_IMPORT_MAX_BYTES)} "
            f"and {settings.FLIGHT_IMPORT_MAX_ROWS:,} flights."
        )


class StaffMailFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *OutboxMessage.Status.choices]
    )
    q = forms.CharField(label="Recipient, subject or template", required=False, max_length=200)


class DashboardPeriodForm(forms.Form):
    """The dashboard's period: the last 7, 30 or 90 days (today included), or chosen days."""

    PRESETS = {"7": 7, "30": 30, "90": 90}
    MAX_DAYS = 366

    period = forms.ChoiceField(
        label="Period",
        required=False,
        initial="30",
        choices=[("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("custom", "Choose dates")],
    )
    first = StaffDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last = StaffDateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean(self):
        data = super().clean()
        if data.get("period") != "custom":
            return data
        first, last = data.get("first"), data.get("last")
        if not first or not last:
            raise forms.ValidationError("Choose both days, or pick one of the preset periods.")
        if last < first:
            raise forms.ValidationError("The period must end on or after the day it starts.")
        if (last - first).days + 1 > self.MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {self.MAX_DAYS} days.")
        return data

    def period_bounds(self, *, default: int = 30) -> tuple[int | None, tuple | None]:
        """(preset days, None) or (None, (first, last)); the default preset for a form that is
        empty or not valid (its errors are shown beside it)."""
        if not self.is_bound or not self.is_valid():
            return default, None
        choice = self.cleaned_data.get("period") or str(default)
        if choice == "custom":
            return None, (self.cleaned_data["first"], self.cleaned_data["last"])
        return self.PRESETS[choice], None


class UserFilterForm(forms.Form):
    q = forms.CharField(label="E-mail or name", required=False, max_length=100)
    kind = forms.ChoiceField(
        label="Accounts",
        required=False,
        choices=[("", "Everyone"), ("passengers", "Passengers"), ("staff", "Staff")],
    )

    def staff_filter(self) -> bool | None:
        if not self.is_valid():
            return None
        return {"passengers": False, "staff": True}.get(self.cleaned_data.get("kind") or "")
