"""What the browser journeys share: the day they search, searching as a person does, and
signing staff in."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PASSWORD, authenticator_code, authenticator_for

LONDON = ZoneInfo("Europe/London")


def london_day(days_ahead: int) -> date:
    return timezone.now().astimezone(LONDON).date() + timedelta(days=days_ahead)


def search_flights(page, origin: str, destination: str, day: date, passengers: int | None = None) -> None:
    """Fill the search form on the current page by its labels and submit it."""
    search = page.get_by_role("form", name="Search flights")
    search.get_by_label("From", exact=True).fill(origin)
    search.get_by_label("To", exact=True).fill(destination)
    search.get_by_label("Date", exact=True).fill(day.isoformat())
    if passengers is not None:
        search.get_by_label("Passengers", exact=True).fill(str(passengers))
    search.get_by_role("button", name="Search").click()


def staff_log_in(page, staff) -> None:
    """Sign `staff` in through the login form and the two-step page, with their authenticator
    app (made if they have none), as staff pages require."""
    device = authenticator_for(staff)
    page.goto(reverse("accounts:login"))
    page.get_by_label("E-mail address").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(authenticator_code(device))
    page.get_by_role("button", name="Continue").click()
