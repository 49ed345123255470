"""Money and local times as a passenger reads them. Every page, e-mail, e-ticket and file
that shows an amount or a local time formats it here.

Money: `money(amount)` in the site's one CURRENCY, in three styles for three readers (a page,
an e-mail, a spreadsheet).

Local times: the airport's wall clock and the zone abbreviation of that very instant
("01:30 BST", then an hour later "01:30 GMT").

Why not Django's `|date:"T"`: `django.utils.dateformat` leaves the zone out (T, e, O, P, Z, I
come out empty) for a datetime whose wall time is ambiguous or imaginary, that is for every
instant in the hour the clocks go back, exactly when the abbreviation is the only way to tell
the two 01:30s apart. A datetime made with `astimezone(zone)` carries PEP 495 `fold` (1 for
the second of two equal wall times), and `ZoneInfo`'s `tzname()` and `utcoffset()` honour it,
so the zone never needs to be guessed: we take it from the datetime itself.

Abbreviations are what tzdata gives; for zones that have no letters it gives a numeric offset
("+03", "-04"), which is kept as it is.
"""

from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.conf import settings
from django.utils.dateformat import DateFormat

# Currencies written with a symbol before the figure; any other is written by its code after it.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}


def money(amount, *, style: Literal["symbol", "code", "figure"] = "symbol") -> str:
    """An amount (Decimal, int, or a numeric string) of the site's CURRENCY, to the cent;
    "" for None or anything that is not a number.

    - "symbol", on pages: "€12,345.50" ("12,345.50 SEK" for a currency with no symbol here);
    - "code", in e-mails (plain text, any mail client): "12,345.50 EUR";
    - "figure", in files beside a currency column: "12345.50", no thousands separator, so a
      spreadsheet reads it as a number.
    """
    if amount is None:
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if style == "figure":
        return f"{value:.2f}"
    figure = f"{value:,.2f}"
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY) if style == "symbol" else None
    return f"{symbol}{figure}" if symbol else f"{figure} {settings.CURRENCY}"


def local_moment(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` (an aware datetime, in any zone) on `zone`'s wall clock, `fold` set, so the
    result names exactly one instant even in the repeated hour. Raises ValueError for a naive
    datetime: it would be taken as the server's local time, which is never what we mean."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: cannot tell which instant it is")
    return moment.astimezone(zone)


def zone_abbreviation(moment: datetime, zone: tzinfo) -> str:
    """The abbreviation `zone` uses at the instant `moment`: "BST" for 00:30 UTC on
    31 Oct 2027 in Europe/London, "GMT" for 01:30 UTC (both read 01:30 on a London clock)."""
    return local_moment(moment, zone).tzname() or ""


class _InstantDateFormat(DateFormat):
    """Django's date format characters, with the zone taken from the datetime itself (whose
    `fold` says which of two equal wall times it is) instead of being dropped when the wall
    time is ambiguous. Only for aware datetimes made by `local_moment`."""

    def __init__(self, obj: datetime):
        super().__init__(obj)
        self.timezone = obj.tzinfo


def format_local(moment: datetime, zone: tzinfo, fmt: str) -> str:
    """`moment` on `zone`'s wall clock in a Django date format (the `|date` filter's
    characters): "D j M Y, H:i T" -> "Sun 31 Oct 2027, 01:30 GMT"; "T" -> "GMT"."""
    return _InstantDateFormat(local_moment(moment, zone)).format(fmt)


def local_time(moment: datetime, zone: tzinfo) -> str:
    """ "01:30 GMT": the wall-clock time and its abbreviation (reminders, short lists)."""
    local = local_moment(moment, zone)
    return f"{local:%H:%M} {local.tzname() or ''}".rstrip()


def local_datetime(moment: datetime, zone: tzinfo) -> str:
    """ "Sun 31 Oct 2027, 01:30 GMT": day, date, time and abbreviation (e-mails)."""
    local = local_moment(moment, zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname() or ''}".rstrip()


def local_timestamp(moment: datetime, zone: tzinfo) -> str:
    """ "2027-10-31 01:30 GMT": sortable date and time with the abbreviation (CSV files)."""
    local = local_moment(moment, zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def is_ambiguous_wall_time(moment: datetime, zone: tzinfo) -> bool:
    """Whether the wall-clock time `moment` shows in `zone` happens twice (the hour the clocks
    go back). A format that writes only the wall time and the zone's name (iCalendar's
    TZID, say) cannot tell such an instant from its twin."""
    local = local_moment(moment, zone)
    return local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()
