"""Display helpers: local times with zone, durations, money."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django import template

from booking_site.lib import formats, viewer_zone

register = template.Library()


@register.filter
def money(amount) -> str:
    """12345.5 -> "€12,345.50" in the site's currency (booking_site.lib.formats.money)."""
    return formats.money(amount)


@register.filter
def money_compact(amount) -> str:
    """108 -> "€108", 74.99 -> "€74.99": where room is short (the month fare calendar)."""
    return formats.money(amount, drop_zero_cents=True)


@register.filter
def day_short(day) -> str:
    """date(2026, 12, 24) -> "Thu 24 Dec" (as |date:"D j M", without the formatting machinery:
    the results page shows a week of these)."""
    return f"{day:%a} {day.day} {day:%b}"


@register.filter
def day_long(day) -> str:
    """date(2026, 12, 24) -> "Thursday 24 December 2026" (as |date:"l j F Y")."""
    return f"{day:%A} {day.day} {day:%B %Y}"


@register.filter
def duration(value: timedelta) -> str:
    """timedelta(hours=2, minutes=5) -> "2h 05m"."""
    if not isinstance(value, timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


@register.filter
def day_offset(flight) -> str:
    """ "+1" when the flight lands on a later local calendar day than it leaves."""
    days = (flight.arrives_local().date() - flight.departs_local().date()).days
    return f"+{days}" if days > 0 else ("−1" if days < 0 else "")


@register.filter
def day_offset_words(flight) -> str:
    """What day_offset's "+1" means, in words: "arrives the next day", "arrives 2 days later",
    "arrives the day before" ("" on the same day)."""
    days = (flight.arrives_local().date() - flight.departs_local().date()).days
    if days == 1:
        return "arrives the next day"
    if days > 1:
        return f"arrives {days} days later"
    return "arrives the day before" if days < 0 else ""


@register.simple_tag
def local_time(moment, airport, fmt="H:i"):
    """A moment on the airport's own clock in a `|date` format: "H:i" -> "14:05",
    "H:i T" -> "01:30 GMT". "T" is the abbreviation of that very instant, in the hour the
    clocks go back too (booking_site.lib.formats; Django's own "T" is empty then), and a
    readable name where tzdata has only digits ("10:00 Dubai time", not "10:00 +04")."""
    if moment is None:
        return ""
    return formats.format_local(moment, airport.zone, fmt)


@register.simple_tag(takes_context=True)
def your_time(context, moment, fmt="D j M Y, H:i T"):
    """A moment that belongs to no airport (an alert, a seat hold or a download running out,
    a booking made) on the reader's own clock, in a `|date` format with its zone:
    booking_site.lib.viewer_zone says whose clock that is."""
    if moment is None:
        return ""
    request = context.get("request")
    zone = viewer_zone.request_zone(request) if request is not None else viewer_zone.person_zone()
    return formats.format_local(moment, zone, fmt)


@register.filter
def times(amount, count):
    """price|times:passengers -> the total for the party."""
    try:
        return Decimal(amount) * int(count)
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.filter
def airport_short(name: str) -> str:
    """ "London Gatwick Airport" -> "London Gatwick"; the full name is kept where it matters."""
    for suffix in (" International Airport", " Airport"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@register.filter
def place_name(airport) -> str:
    """How a route list names an airport: "London Heathrow", "New York John F Kennedy" (the
    city first, unless the airport's short name already starts with it)."""
    name, city = airport_short(airport.name), airport.city
    if not city or name.lower().startswith(city.lower()):
        return name
    return f"{city} {name}"


@register.filter
def split(text: str) -> list[str]:
    return text.split()


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def minutes_left(seconds) -> str:
    """570 -> "9:30 minutes": how long a hold has left, as the countdown shows it."""
    seconds = max(int(seconds or 0), 0)
    return f"{seconds // 60}:{seconds % 60:02d} minutes"


@register.filter
def card_groups(number: str) -> str:
    """ "4242424242424242" -> "4242 4242 4242 4242"."""
    return " ".join(number[index : index + 4] for index in range(0, len(number), 4))


@register.filter
def active_count(tickets) -> int:
    """How many of these (prefetched) tickets are active: no query per booking card."""
    return sum(1 for ticket in tickets if ticket.status == "active")
