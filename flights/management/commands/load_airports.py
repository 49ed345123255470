from django.core.management.base import BaseCommand

from flights.airport_data import airports_load


class Command(BaseCommand):
    help = "Load or refresh every IATA airport from the airportsdata package (safe to re-run)."

    def handle(self, *args, **options):
        count = airports_load()
        self.stdout.write(self.style.SUCCESS(f"{count} airports loaded."))
