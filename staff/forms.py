"""Forms only the staff pages use: the schedule filter, the manifest lookup, the import
upload and the sent-mail filter. The flight form itself (StaffFlightForm) stays in flights,
where the CSV import validates each row with it."""

from django import forms
from django.conf import settings

from flights.forms import StaffDateField
from flights.imports.parsing import size_text
from notifications.models import OutboxMessage


class StaffFlightFilterForm(forms.Form):
    number = forms.CharField(label="Flight number", required=False, max_length=8)
    date = StaffDateField(
        label="Date (local departure)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    origin = forms.CharField(label="From", required=False, max_length=3)
    destination = forms.CharField(label="To", required=False, max_length=3)


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
