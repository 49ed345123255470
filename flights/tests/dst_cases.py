"""Instants around the 2027 clock changes of zones east and west of UTC, and what a passenger
must read for each: the airport's wall-clock time and the abbreviation of that very instant.

Written out by hand from the tz rules (not computed by the code under test):
- autumn: the hour the clocks go back happens twice; "first" and "second" are the two
  instants that read the same on the airport's clock (PEP 495 fold 0 and 1);
- spring: twenty minutes after the clocks go forward, just past the hour that never happens.
"twin" is the abbreviation a wrong rendering would show (the other occurrence, or the zone's
abbreviation before the change); it must not appear for this airport.

Flights are built from these with `flight_at`: the zone's airport at one end, Tokyo (JST, no
daylight saving time, an abbreviation none of these zones uses) at the other.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flights.tests.factories import AirportFactory, FlightFactory

# "Now" in these tests: before every transition below, so each flight is still ahead.
BEFORE_ALL = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
# The far end of every flight: Tokyo, UTC+9 all year.
TOKYO = {"iata": "HND", "name": "Tokyo Haneda Airport", "city": "Tokyo", "country": "JP", "tz": "Asia/Tokyo"}
FLIGHT_TIME = timedelta(hours=3)


@dataclass(frozen=True)
class Moment:
    zone: str
    iata: str
    city: str
    country: str
    when: str  # "autumn first", "autumn second", "spring after"
    instant: datetime  # UTC
    day: date  # the airport's local calendar day
    wall: str  # the airport's clock, "HH:MM"
    abbreviation: str
    twin: str

    @property
    def id(self) -> str:
        return f"{self.zone}-{self.when.replace(' ', '-')}"

    @property
    def long_date(self) -> str:
        """As |date:"D j M Y": "Sun 31 Oct 2027"."""
        return f"{self.day:%a} {self.day.day} {self.day:%b %Y}"

    @property
    def email_text(self) -> str:
        """As the e-mails write it: "Sun 31 Oct 2027, 01:30 BST"."""
        return f"{self.day:%a %d %b %Y}, {self.wall} {self.abbreviation}"

    @property
    def csv_text(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.wall} {self.abbreviation}"


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


_ZONES = [
    # zone, IATA, city, country
    ("Europe/London", "LHR", "London", "GB"),
    ("Europe/Berlin", "BER", "Berlin", "DE"),
    ("America/New_York", "JFK", "New York", "US"),
    ("America/Los_Angeles", "LAX", "Los Angeles", "US"),
    ("Australia/Sydney", "SYD", "Sydney", "AU"),  # southern hemisphere: back in April, forward in October
    ("Pacific/Auckland", "AKL", "Auckland", "NZ"),
    ("America/Santiago", "SCL", "Santiago", "CL"),  # tzdata's abbreviations are numeric: -03 / -04
]
_PLACES = {zone: (iata, city, country) for zone, iata, city, country in _ZONES}

# Santiago: tzdata names it only "-03" (summer) and "-04"; a passenger reads these names
# (booking_site.lib.formats), and the two 23:30s of the repeated hour still differ.
SCL_SUMMER, SCL = "Santiago summer time", "Santiago time"

# zone, when, UTC instant, local day, local wall time, abbreviation, twin
_TABLE = [
    # London: back at 01:00 UTC on 31 Oct (02:00 BST -> 01:00 GMT), forward at 01:00 UTC on 28 Mar.
    ("Europe/London", "autumn first", _utc(2027, 10, 31, 0, 30), date(2027, 10, 31), "01:30", "BST", "GMT"),
    ("Europe/London", "autumn second", _utc(2027, 10, 31, 1, 30), date(2027, 10, 31), "01:30", "GMT", "BST"),
    ("Europe/London", "spring after", _utc(2027, 3, 28, 1, 20), date(2027, 3, 28), "02:20", "BST", "GMT"),
    # Berlin: back at 01:00 UTC on 31 Oct (03:00 CEST -> 02:00 CET), forward at 01:00 UTC on 28 Mar.
    ("Europe/Berlin", "autumn first", _utc(2027, 10, 31, 0, 30), date(2027, 10, 31), "02:30", "CEST", "CET"),
    ("Europe/Berlin", "autumn second", _utc(2027, 10, 31, 1, 30), date(2027, 10, 31), "02:30", "CET", "CEST"),
    ("Europe/Berlin", "spring after", _utc(2027, 3, 28, 1, 20), date(2027, 3, 28), "03:20", "CEST", "CET"),
    # New York: back at 06:00 UTC on 7 Nov (02:00 EDT -> 01:00 EST), forward at 07:00 UTC on 14 Mar.
    ("America/New_York", "autumn first", _utc(2027, 11, 7, 5, 30), date(2027, 11, 7), "01:30", "EDT", "EST"),
    ("America/New_York", "autumn second", _utc(2027, 11, 7, 6, 30), date(2027, 11, 7), "01:30", "EST", "EDT"),
    ("America/New_York", "spring after", _utc(2027, 3, 14, 7, 20), date(2027, 3, 14), "03:20", "EDT", "EST"),
    # Los Angeles: back at 09:00 UTC on 7 Nov (02:00 PDT -> 01:00 PST), forward at 10:00 UTC on 14 Mar.
    ("America/Los_Angeles", "autumn first", _utc(2027, 11, 7, 8, 30), date(2027, 11, 7), "01:30", "PDT", "PST"),
    ("America/Los_Angeles", "autumn second", _utc(2027, 11, 7, 9, 30), date(2027, 11, 7), "01:30", "PST", "PDT"),
    ("America/Los_Angeles", "spring after", _utc(2027, 3, 14, 10, 20), date(2027, 3, 14), "03:20", "PDT", "PST"),
    # Sydney: back at 16:00 UTC on 3 Apr (03:00 AEDT -> 02:00 AEST on Sun 4 Apr), forward at
    # 16:00 UTC on 2 Oct (02:00 AEST -> 03:00 AEDT on Sun 3 Oct).
    ("Australia/Sydney", "autumn first", _utc(2027, 4, 3, 15, 30), date(2027, 4, 4), "02:30", "AEDT", "AEST"),
    ("Australia/Sydney", "autumn second", _utc(2027, 4, 3, 16, 30), date(2027, 4, 4), "02:30", "AEST", "AEDT"),
    ("Australia/Sydney", "spring after", _utc(2027, 10, 2, 16, 20), date(2027, 10, 3), "03:20", "AEDT", "AEST"),
    # Auckland: back at 14:00 UTC on 3 Apr (03:00 NZDT -> 02:00 NZST on Sun 4 Apr), forward at
    # 14:00 UTC on 25 Sep (02:00 NZST -> 03:00 NZDT on Sun 26 Sep).
    ("Pacific/Auckland", "autumn first", _utc(2027, 4, 3, 13, 30), date(2027, 4, 4), "02:30", "NZDT", "NZST"),
    ("Pacific/Auckland", "autumn second", _utc(2027, 4, 3, 14, 30), date(2027, 4, 4), "02:30", "NZST", "NZDT"),
    ("Pacific/Auckland", "spring after", _utc(2027, 9, 25, 14, 20), date(2027, 9, 26), "03:20", "NZDT", "NZST"),
    # Santiago: back at 03:00 UTC on 4 Apr (midnight -03 -> 23:00 -04 on Sat 3 Apr), forward at
    # 04:00 UTC on 5 Sep (midnight -04 -> 01:00 -03 on Sun 5 Sep).
    ("America/Santiago", "autumn first", _utc(2027, 4, 4, 2, 30), date(2027, 4, 3), "23:30", SCL_SUMMER, SCL),
    ("America/Santiago", "autumn second", _utc(2027, 4, 4, 3, 30), date(2027, 4, 3), "23:30", SCL, SCL_SUMMER),
    ("America/Santiago", "spring after", _utc(2027, 9, 5, 4, 20), date(2027, 9, 5), "01:20", SCL_SUMMER, SCL),
]

MOMENTS = [Moment(zone, *_PLACES[zone], *row) for zone, *row in _TABLE]
# The repeated hour only: where a wall time alone names two instants.
REPEATED = [moment for moment in MOMENTS if moment.when.startswith("autumn")]
ENDS = ("departure", "arrival")


def flight_at(moment: Moment, end: str, **fields):
    """A flight that departs (end="departure") or arrives (end="arrival") at the moment's
    airport at exactly its instant; Tokyo is the other end."""
    here = AirportFactory(
        iata=moment.iata, name=f"{moment.city} Airport", city=moment.city, country=moment.country, tz=moment.zone
    )
    tokyo = AirportFactory(**TOKYO)
    if end == "departure":
        route = {"origin": here, "destination": tokyo, "departs_at": moment.instant}
        route["arrives_at"] = moment.instant + FLIGHT_TIME
    else:
        route = {"origin": tokyo, "destination": here, "arrives_at": moment.instant}
        route["departs_at"] = moment.instant - FLIGHT_TIME
    return FlightFactory(number="SK123", **route, **fields)


def cases(moments=MOMENTS):
    """(moment, end) pairs for pytest.mark.parametrize, with readable ids."""
    return [pytest.param(moment, end, id=f"{moment.id}-{end}") for moment in moments for end in ENDS]


def departure_day(moment: Moment, end: str) -> date:
    """The local calendar day the flight leaves on: what a passenger searches for."""
    if end == "departure":
        return moment.day
    return (moment.instant - FLIGHT_TIME).astimezone(ZoneInfo(TOKYO["tz"])).date()
