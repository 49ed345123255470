import pytest
from django.core.management import call_command

from flights.airport_data import airports_load
from flights.models import Airport

pytestmark = pytest.mark.django_db


def test_load_airports_loads_every_iata_airport_and_rerunning_updates_without_duplicates():
    count = airports_load()
    assert count > 7000 and Airport.objects.count() == count
    gru = Airport.objects.get(iata="GRU")
    assert (gru.country, gru.tz, gru.city_folded) == ("BR", "America/Sao_Paulo", "sao paulo")
    Airport.objects.filter(iata="LHR").update(name="Renamed by hand", city_folded="x")
    call_command("load_airports", verbosity=0)
    assert Airport.objects.count() == count
    heathrow = Airport.objects.get(iata="LHR")
    assert heathrow.name == "London Heathrow Airport" and heathrow.city_folded == "london"
