"""When a passenger must be where at the departure airport: the one home for the times the
confirmation page and the departure reminder give. Each is counted back from departure in
UTC and shown on the airport's clock, so a change of the clocks in between cannot shift it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

# Be at the airport this long before departure: check in, drop bags, pass security.
AIRPORT_ARRIVAL_BEFORE = timedelta(hours=2)
# Check-in and bag drop close this long before departure.
BAG_DROP_CLOSES_BEFORE = timedelta(minutes=40)
# The boarding gate closes this long before departure.
GATE_CLOSES_BEFORE = timedelta(minutes=20)


def before_words(span: timedelta) -> str:
    """timedelta(hours=2) -> "2 hours", timedelta(minutes=40) -> "40 minutes", 1 -> "1 minute"."""
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class AirportStep:
    """One deadline at the departure airport: what happens, how long before departure, when."""

    what: str
    before: timedelta
    at: datetime

    @property
    def before_text(self) -> str:
        return before_words(self.before)


def airport_steps(departs_at: datetime) -> list[AirportStep]:
    """The passenger's deadlines before a departure at `departs_at`, earliest first."""
    return [
        AirportStep(
            "Be at the airport to check in, drop bags and pass security",
            AIRPORT_ARRIVAL_BEFORE,
            departs_at - AIRPORT_ARRIVAL_BEFORE,
        ),
        AirportStep("Check-in and bag drop close", BAG_DROP_CLOSES_BEFORE, departs_at - BAG_DROP_CLOSES_BEFORE),
        AirportStep("Boarding gate closes", GATE_CLOSES_BEFORE, departs_at - GATE_CLOSES_BEFORE),
    ]
