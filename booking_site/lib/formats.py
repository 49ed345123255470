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

Abbreviations are what tzdata gives ("GMT", "CEST", "EST"). Where tzdata has no letters for a
zone it gives a bare offset ("+04" for Asia/Dubai, "-03" for America/Sao_Paulo), which reads
like arithmetic rather than a clock; those instants get a readable name built from the zone's
own key instead ("Dubai time", "Sao Paulo time"), "summer time" while the zone's clocks are
forward ("Santiago summer time", the "-03" of Chile's summer, against "Santiago time", its
"-04"), so the two wall times of a repeated hour still read differently. No hand-made list
of names: CLDR's metazone names ("Gulf Standard Time") are not in the standard library, and
the key's city is what a reader of the timetable recognises.
"""

from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.conf import settings
from django.utils.dateformat import DateFormat

# Currencies written with a symbol before the figure; any other is written by its code after it.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}


def money(amount, *, style: Literal["symbol", "code", "figure"] = "symbol", drop_zero_cents: bool = False) -> str:
    """An amount (Decimal, int, or a numeric string) of the site's CURRENCY, to the cent;
    "" for None or anything that is not a number.

    - "symbol", on pages: "€12,345.50" ("12,345.50 SEK" for a currency with no symbol here);
    - "code", in e-mails (plain text, any mail client): "12,345.50 EUR";
    - "figure", in files beside a currency column: "12345.50", no thousands separator, so a
      spreadsheet reads it as a number.

    `drop_zero_cents` (not for "figure"): a whole amount without its ".00", "€108", where room
    is short (a month of fares on a phone); "€74.99" keeps its cents.
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
    if drop_zero_cents and figure.endswith(".00"):
        figure = figure[:-3]
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY) if style == "symbol" else None
    return f"{symbol}{figure}" if symbol else f"{figure} {settings.CURRENCY}"


def local_moment(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` (an aware datetime, in any zone) on `zone`'s wall clock, `fold` set, so the
    result names exactly one instant even in the repeated hour. Raises ValueError for a naive
    datetime: it would be taken as the server's local time, which is never what we mean."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone: cannot tell which instant it is")
    return moment.astimezone(zone)


# The areas of tz database keys named after a place ("Asia/Dubai"); not "Etc/GMT-4" or the
# old aliases ("Chile/Continental"), whose last part is no place anyone reads.
_PLACE_AREAS = frozenset(
    {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)


def _utc_offset_text(offset: timedelta) -> str:
    """timedelta(hours=5, minutes=45) -> "UTC+5:45"; timedelta(hours=-3) -> "UTC-3"."""
    minutes = int(offset.total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def _place(zone: tzinfo) -> str:
    """ "Dubai" for Asia/Dubai, "Buenos Aires" for America/Argentina/Buenos_Aires; "" for a zone
    that is not named after a place."""
    area, _, rest = (getattr(zone, "key", "") or "").partition("/")
    return rest.rpartition("/")[2].replace("_", " ") if area in _PLACE_AREAS and rest else ""


def readable_zone(local: datetime) -> str:
    """The zone of `local` (a datetime on that zone's clock, `fold` set) as a reader reads it:
    tzdata's letters when it has some ("BST", "GMT", "JST"), else a name from the zone's key
    ("Dubai time"; "Santiago summer time" while its clocks are forward), else the offset from
    UTC ("UTC+4" for Etc/GMT-4)."""
    abbreviation = local.tzname() or ""
    if not abbreviation.startswith(("+", "-")):
        return abbreviation
    place, offset, forward = _place(local.tzinfo), local.utcoffset(), local.dst()
    if not place:
        return _utc_offset_text(offset)
    if forward and forward > timedelta(0):
        return f"{place} summer time"
    if forward:  # clocks set back from the zone's standard time (Casablanca in Ramadan)
        return f"{place} time ({_utc_offset_text(offset)})"
    return f"{place} time"


def zone_abbreviation(moment: datetime, zone: tzinfo) -> str:
    """What `zone` is called at the instant `moment` (readable_zone): "BST" for 00:30 UTC on
    31 Oct 2027 in Europe/London, "GMT" for 01:30 UTC (both read 01:30 on a London clock);
    "Dubai time" where tzdata says "+04"."""
    return readable_zone(local_moment(moment, zone))


class _InstantDateFormat(DateFormat):
    """Django's date format characters, with the zone taken from the datetime itself (whose
    `fold` says which of two equal wall times it is) instead of being dropped when the wall
    time is ambiguous. Only for aware datetimes made by `local_moment`."""

    def __init__(self, obj: datetime):
        super().__init__(obj)
        self.timezone = obj.tzinfo

    def T(self) -> str:
        return readable_zone(self.data)


def format_local(moment: datetime, zone: tzinfo, fmt: str) -> str:
    """`moment` on `zone`'s wall clock in a Django date format (the `|date` filter's
    characters): "D j M Y, H:i T" -> "Sun 31 Oct 2027, 01:30 GMT"; "T" -> "GMT"."""
    return _InstantDateFormat(local_moment(moment, zone)).format(fmt)


def local_time(moment: datetime, zone: tzinfo) -> str:
    """ "01:30 GMT": the wall-clock time and its abbreviation (reminders, short lists)."""
    local = local_moment(moment, zone)
    return f"{local:%H:%M} {readable_zone(local)}".rstrip()


def local_datetime(moment: datetime, zone: tzinfo) -> str:
    """ "Sun 31 Oct 2027, 01:30 GMT": day, date, time and abbreviation (e-mails)."""
    local = local_moment(moment, zone)
    return f"{local:%a %d %b %Y, %H:%M} {readable_zone(local)}".rstrip()


def local_timestamp(moment: datetime, zone: tzinfo) -> str:
    """ "2027-10-31 01:30 GMT": sortable date and time with the abbreviation (CSV files)."""
    local = local_moment(moment, zone)
    return f"{local:%Y-%m-%d %H:%M} {readable_zone(local)}".rstrip()


def is_ambiguous_wall_time(moment: datetime, zone: tzinfo) -> bool:
    """Whether the wall-clock time `moment` shows in `zone` happens twice (the hour the clocks
    go back). A format that writes only the wall time and the zone's name (iCalendar's
    TZID, say) cannot tell such an instant from its twin."""
    local = local_moment(moment, zone)
    return local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()
