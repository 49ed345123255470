"""Places: which airports a typed From/To means, and what to suggest as it is typed. Never writes.

People write a place the way they know it: a code ("LHR", or IATA's city code "NYC"), a city
in any case and with or without accents ("zurich", "Zürich"), in their own language
("München"), shorter than the data has it ("Frankfurt" for Frankfurt am Main), or a whole
metropolitan area ("New York": JFK, LaGuardia and Newark). The names come from the airport data
(flights.airport_data): each airport's city, its city's other names and its metropolitan area.

A place means the airports of it that have scheduled service (a scheduled flight from or to
them, from now on): "London" is Heathrow, Gatwick, Stansted... but not Biggin Hill, a
business airfield. Only a place none of whose airports has service means all of them, so
that a search from it still says there are no flights, and what exists instead.
"""

from collections.abc import Sequence

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils import timezone

from .models import Airport, AirportName, Flight, fold

SUGGESTION_LIMIT = 8
OTHER_NAMES_FROM = 3  # letters typed before other names of a city are suggested ("mün" -> Munich)

# How well a typed place names an airport, best first.
_CITY, _OTHER_NAME, _AIRPORT_NAME = 1, 2, 3


def _upcoming_flights() -> QuerySet[Flight]:
    return Flight.objects.filter(status=Flight.Status.SCHEDULED, departs_at__gte=timezone.now())


def _has_service(airport: str = "pk"):
    """Whether the airport (`airport`: the outer query's reference to it) has scheduled service."""
    upcoming = _upcoming_flights()
    return Exists(upcoming.filter(origin=OuterRef(airport))) | Exists(upcoming.filter(destination=OuterRef(airport)))


def _best_served(airports: list[Airport]) -> list[Airport]:
    """Of airports annotated with `tier` and `served`: those with service in the best tier
    that has any; failing that, every airport of the best tier."""
    tiers = sorted({airport.tier for airport in airports})
    for tier in tiers:
        served = [airport for airport in airports if airport.tier == tier and airport.served]
        if served:
            return served
    return [airport for airport in airports if airport.tier == tiers[0]] if tiers else []


def airports_matching(text: str) -> list[Airport]:
    """The airports a typed origin or destination means, by IATA code: an airport's code, else
    a place (city, another name of it, a metropolitan area or IATA city code, an airport's full
    name), else the one place whose city or airport name has the text as a word ("Heathrow").
    Empty when nothing matches. One query for a code or a place.
    """
    text = (text or "").strip()
    folded = fold(text)
    if not folded:
        return []
    if len(text) == 3 and text.isalpha():
        airport = Airport.objects.filter(iata=text.upper()).first()
        if airport:
            return [airport]
    names = AirportName.objects.filter(name_folded=folded)
    place = Q(city_folded=folded) | Q(pk__in=names.filter(kind=AirportName.Kind.METRO).values("airport"))
    other_name = Q(pk__in=names.filter(kind=AirportName.Kind.CITY).values("airport"))
    found = list(
        Airport.objects.filter(place | other_name | Q(name_folded=folded))
        .annotate(
            tier=Case(
                When(place, then=Value(_CITY)),
                When(other_name, then=Value(_OTHER_NAME)),
                default=Value(_AIRPORT_NAME),
                output_field=IntegerField(),
            ),
            served=_has_service(),
        )
        .order_by("iata")
    )
    return _best_served(found) if found else _one_place_by_word(folded)


def place_name(airports: Sequence[Airport], typed: str) -> str:
    """What to call a typed place in headings: the airports' city when they are one city's
    ("lhr" and "london" read "London"), else the text as typed, capitalised when typed all
    lower case ("new york": JFK, LaGuardia and Newark, read "New York")."""
    cities = {airport.city or airport.name for airport in airports}
    if len(cities) == 1:
        return cities.pop()
    typed = " ".join(typed.split())
    return typed.title() if typed.islower() else typed


def _one_place_by_word(folded: str) -> list[Airport]:
    """Served airports whose city or name has `folded` as its first words or as a word
    ("Frankfurt": Frankfurt am Main; "Gatwick": London Gatwick), when they are all one city's;
    a word several cities share ("International") means none."""
    word = Q(city_folded__startswith=f"{folded} ") | Q(name_folded__startswith=f"{folded} ")
    word |= Q(name_folded__contains=f" {folded} ") | Q(name_folded__endswith=f" {folded}")
    found = list(Airport.objects.filter(word).alias(served=_has_service()).filter(served=True).order_by("iata"))
    return found if len({(airport.city_folded, airport.country) for airport in found}) == 1 else []


def airport_suggestions(text: str, *, origins: Sequence[Airport] = (), limit: int = SUGGESTION_LIMIT) -> list[dict]:
    """What to offer as someone types into From or To, ignoring case and accents.

    The exact IATA code first; then airports whose city or metropolitan area starts with the
    text, then those whose name does, then those known by another name that does ("Münch");
    within each, airports with a flight from `origins` (what From holds, for To), then those
    with service, then those of a city with service (London City before Londolovit), busiest
    first, then the shortest city name (the nearest completion: London before Londolovit).
    A place with several served airports is offered as a whole before its first airport
    ("London — all airports"), listing exactly what searching for it covers.
    """
    query = fold(text)
    if len(query) < 2:
        return []
    code = query.upper() if len(query) == 3 and query.isalpha() else ""
    metro = AirportName.objects.filter(kind=AirportName.Kind.METRO, name_folded__startswith=query)
    place = Q(city_folded__startswith=query) | Q(pk__in=metro.values("airport"))
    airport_name = Q(name_folded__startswith=query) | Q(name_folded__contains=f" {query}")
    matches = Q(iata=code) | place | airport_name
    if len(query) >= OTHER_NAMES_FROM:
        other = AirportName.objects.filter(kind=AirportName.Kind.CITY, name_folded__startswith=query)
        matches |= Q(pk__in=other.values("airport"))
    city_served = (
        Airport.objects.filter(city_folded=OuterRef("city_folded"), country=OuterRef("country"))
        .exclude(city_folded="")
        .alias(served=_has_service())
        .filter(served=True)
    )
    from_origin = (
        Exists(_upcoming_flights().filter(origin__in=[a.pk for a in origins], destination=OuterRef("pk")))
        if origins
        else Value(False)
    )
    airports = list(
        Airport.objects.filter(matches)
        .annotate(
            exact=Case(When(iata=code, then=Value(0)), default=Value(1), output_field=IntegerField()),
            # The city or area the text starts, then an airport's name, then another name of the city.
            match=Case(
                When(place, then=Value(0)),
                When(airport_name, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            from_origin=from_origin,
            served=_has_service(),
            city_served=Exists(city_served),
        )
        .order_by(
            "exact",
            "match",
            "-from_origin",
            "-served",
            "-city_served",
            "-scheduled_departures",
            Length("city"),
            "city",
            "iata",
        )[:limit]
    )
    return _with_places(airports, query, origins)


def _place_names(airports: list[Airport], query: str) -> dict[int, str]:
    """For each airport, the place name the text starts (its city, or its metropolitan area)."""
    metro = dict(
        AirportName.objects.filter(
            airport__in=airports, kind=AirportName.Kind.METRO, name_folded__startswith=query
        ).values_list("airport_id", "name")
    )
    return {
        airport.pk: airport.city if airport.city_folded.startswith(query) and airport.city else metro.get(airport.pk)
        for airport in airports
    }


def _with_places(airports: list[Airport], query: str, origins: Sequence[Airport]) -> list[dict]:
    """The suggestions for ranked `airports`: each airport, after its place as a whole when
    searching for that place means several airports (at most two places)."""
    from_place = (origins[0].city or origins[0].iata) if origins else ""
    places = _place_names(airports, query)
    suggestions: list[dict] = []
    offered: set[str] = set()
    for airport in airports:
        place = places.get(airport.pk)
        if place and fold(place) not in offered:
            offered.add(fold(place))
            members = sorted(airports_matching(place), key=lambda a: (-a.scheduled_departures, a.iata))
            if len(members) > 1 and airport in members:
                countries = ", ".join(dict.fromkeys(member.country for member in members))
                suggestions.append(
                    {
                        "value": place,
                        "label": f"{place} — all airports",
                        "detail": ", ".join(member.iata for member in members) + f" · {countries}",
                        "kind": "city",
                    }
                )
        detail = f"{airport.name} · {airport.country}"
        if airport.from_origin:
            detail += f" · Direct flights from {from_place}"
        suggestions.append(
            {
                "value": airport.iata,
                "label": f"{airport.city or airport.name} ({airport.iata})",
                "detail": detail,
                "kind": "airport",
            }
        )
    return suggestions[: len(airports) + 2]
