"""Local times around clock changes carry the abbreviation of the instant they show.

In the hour the clocks go back every wall time happens twice (01:30 BST, then 01:30 GMT); the
abbreviation is the only way to tell them apart, and Django's `|date:"T"` drops it exactly
then. booking_site.lib.formats is the one place that formats local times; these tests check
it and the flight pages built on it (search results, staff schedule) for zones east and west
of UTC, both hemispheres, both transitions, departures and arrivals. The booking pages,
e-ticket, calendar file, CSV and e-mails: bookings/tests/test_dst_display.py.
"""

import ast
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory, verified_login
from booking_site.lib import formats
from flights.tests.dst_cases import BEFORE_ALL, MOMENTS, REPEATED, cases, departure_day, flight_at
from flights.tests.pages import listed_numbers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _before_the_clock_changes(time_machine):
    time_machine.move_to(BEFORE_ALL, tick=False)


def _page(client, url, params=None) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# The toolbox: booking_site.lib.formats


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda moment: moment.id)
def test_zone_abbreviation_is_the_abbreviation_of_that_instant(moment):
    assert formats.zone_abbreviation(moment.instant, ZoneInfo(moment.zone)) == moment.abbreviation


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda moment: moment.id)
def test_every_local_format_carries_the_instants_abbreviation(moment):
    zone = ZoneInfo(moment.zone)
    assert formats.local_time(moment.instant, zone) == f"{moment.wall} {moment.abbreviation}"
    assert formats.local_datetime(moment.instant, zone) == moment.email_text
    assert formats.local_timestamp(moment.instant, zone) == moment.csv_text
    assert formats.format_local(moment.instant, zone, "D j M Y, H:i T") == (
        f"{moment.long_date}, {moment.wall} {moment.abbreviation}"
    )
    assert formats.format_local(moment.instant, zone, "T") == moment.abbreviation


@pytest.mark.parametrize("moment", REPEATED, ids=lambda moment: moment.id)
def test_format_local_offsets_follow_the_instant_in_the_repeated_hour(moment):
    """The numeric formats too ("O", "c"): the two 01:30s differ by their offset."""
    zone = ZoneInfo(moment.zone)
    offset = moment.instant.astimezone(zone).utcoffset()  # stdlib, the instant's own offset
    sign, minutes = ("+" if offset.total_seconds() >= 0 else "-"), abs(int(offset.total_seconds())) // 60
    assert formats.format_local(moment.instant, zone, "O") == f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    assert formats.format_local(moment.instant, zone, "c").endswith(f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")


def test_the_two_occurrences_of_a_repeated_wall_time_read_differently():
    london = ZoneInfo("Europe/London")
    first, second = datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    assert formats.is_ambiguous_wall_time(first, london) and formats.is_ambiguous_wall_time(second, london)
    assert formats.local_time(first, london) == "01:30 BST"
    assert formats.local_time(second, london) == "01:30 GMT"
    assert not formats.is_ambiguous_wall_time(datetime(2027, 10, 31, 2, 30, tzinfo=UTC), london)


def test_the_formats_module_imports_only_django_and_the_standard_library():
    tree = ast.parse(Path(formats.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported
    assert all(name.split(".")[0] in sys.stdlib_module_names | {"django"} for name in imported), imported


def test_a_naive_datetime_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="no time zone"):
        formats.local_time(datetime(2027, 10, 31, 1, 30), ZoneInfo("Europe/London"))


# The search results page


@pytest.mark.parametrize(("moment", "end"), cases())
def test_search_results_show_the_abbreviation_of_the_instant(client, moment, end):
    flight = flight_at(moment, end)
    query = {
        "origin": flight.origin.iata,
        "destination": flight.destination.iata,
        "date": departure_day(moment, end).isoformat(),
        "passengers": 1,
    }
    response = client.get(reverse("flights:search"), query)
    assert response.status_code == 200 and listed_numbers(response) == ["SK123"]
    page = response.content.decode()
    assert f">{moment.wall}" in page
    assert f"{moment.iata} · {moment.abbreviation}</div>" in page
    assert f"{moment.iata} · {moment.twin}<" not in page
    if end == "departure":  # the Select button's accessible name tells the two 01:30s apart
        assert f'aria-label="Select flight SK123 departing {moment.wall} {moment.abbreviation}"' in page


# The staff schedule


@pytest.mark.parametrize(("moment", "end"), cases(REPEATED))
def test_staff_schedule_shows_the_abbreviation_of_the_instant(client, moment, end):
    flight_at(moment, end)
    verified_login(client, StaffFactory())
    page = _page(client, reverse("staff:schedule"), {"number": "SK123"})
    assert f'<span class="text-nowrap">{moment.wall} {moment.abbreviation}</span>' in page
    assert f"{moment.wall} {moment.twin}<" not in page
