"""What the browser journeys share: the day they search, and searching as a person does."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

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
