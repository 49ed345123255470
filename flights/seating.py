"""Cabin layouts and seat assignment.

A layout names the seat letters of one row, with aisles between blocks: "3-3" is ABC|DEF.
Rows are numbered from the front; the capacity fills whole rows, and a capacity that is not
a multiple of the row width leaves the last row short (from the left). Seat labels look like
"7C". Everything here is pure: the booking service calls it with the flight locked.
"""

from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby, pairwise

# Layout name -> seat letters per block (aisles between blocks). No "I": it reads as "1".
LAYOUTS: dict[str, tuple[str, ...]] = {
    "3-3": ("ABC", "DEF"),
    "2-2": ("AC", "DF"),
    "2-3-2": ("AC", "DEF", "HK"),
    "3-4-3": ("ABC", "DEFG", "HJK"),
}
LAYOUT_CHOICES = [
    ("3-3", "3-3 single aisle, six abreast (A320, 737)"),
    ("2-2", "2-2 single aisle, four abreast (regional jets)"),
    ("2-3-2", "2-3-2 twin aisle, seven abreast (767)"),
    ("3-4-3", "3-4-3 twin aisle, ten abreast (777, A350)"),
]
DEFAULT_LAYOUT = "3-3"


@dataclass(frozen=True)
class Seat:
    label: str
    row: int
    letter: str
    column: int  # 0-based position across the row
    window: bool
    aisle: bool
    aisle_after: bool  # an aisle runs between this seat and the next one in the row

    @property
    def kind(self) -> str:
        return "window" if self.window else ("aisle" if self.aisle else "middle")


def window_letters(layout: str = DEFAULT_LAYOUT) -> tuple[str, str]:
    """The letters of a row's two window seats: ("A", "F") for 3-3, ("A", "K") for 3-4-3."""
    letters = "".join(LAYOUTS.get(layout, LAYOUTS[DEFAULT_LAYOUT]))
    return letters[0], letters[-1]


SEAT_KINDS = ("window", "aisle", "middle")


def seat_kinds(capacity: int, layout: str = DEFAULT_LAYOUT) -> dict[str, tuple[str, ...]]:
    """The seat letters of each kind that this cabin really has, for the seat map's legend:
    {"window": ("A", "F"), "aisle": ("C", "D"), "middle": ("B", "E")} for a 3-3 cabin; a 2-2
    cabin has no "middle" key. Kinds in SEAT_KINDS order, letters in row order; a cabin smaller
    than one row names only the seats it has."""
    letters: dict[str, list[str]] = {kind: [] for kind in SEAT_KINDS}
    for seat in cabin(capacity, layout):
        if seat.row > 1:
            break  # every full row has the first row's seats; a short row has fewer
        letters[seat.kind].append(seat.letter)
    return {kind: tuple(found) for kind, found in letters.items() if found}


@lru_cache(maxsize=64)
def cabin(capacity: int, layout: str = DEFAULT_LAYOUT) -> tuple[Seat, ...]:
    """Every seat of a cabin, row by row, left to right."""
    blocks = LAYOUTS.get(layout, LAYOUTS[DEFAULT_LAYOUT])
    letters = "".join(blocks)
    aisle_letters, block_ends = set(), set()
    for left, right in pairwise(blocks):
        aisle_letters.update((left[-1], right[0]))
        block_ends.add(left[-1])
    width = len(letters)
    seats = []
    for index in range(capacity):
        row, column = index // width + 1, index % width
        letter = letters[column]
        seats.append(
            Seat(
                label=f"{row}{letter}",
                row=row,
                letter=letter,
                column=column,
                window=column in (0, width - 1),
                aisle=letter in aisle_letters,
                aisle_after=letter in block_ends,
            )
        )
    return tuple(seats)


@lru_cache(maxsize=64)
def seat_labels(capacity: int, layout: str = DEFAULT_LAYOUT) -> tuple[str, ...]:
    """All seat labels in boarding order: 1A, 1B, ... 2A, ..."""
    return tuple(seat.label for seat in cabin(capacity, layout))


@lru_cache(maxsize=64)
def seats_by_label(capacity: int, layout: str = DEFAULT_LAYOUT) -> dict[str, Seat]:
    return {seat.label: seat for seat in cabin(capacity, layout)}


def rows(capacity: int, layout: str = DEFAULT_LAYOUT) -> list[tuple[int, list[Seat]]]:
    """The cabin as (row number, seats) pairs, for drawing the seat map."""
    return [(row, list(seats)) for row, seats in groupby(cabin(capacity, layout), key=lambda seat: seat.row)]


def free_seats(capacity: int, layout: str, taken: set[str], *, also_taken=()) -> list[Seat]:
    """The cabin's seats not in `taken` (nor in `also_taken`), in cabin order."""
    unavailable = taken.union(also_taken)
    return [seat for seat in cabin(capacity, layout) if seat.label not in unavailable]


def assign_together(free: list[Seat], count: int) -> list[Seat]:
    """`count` of the `free` seats for one party, sitting together when possible.

    First choice: one row with enough free seats, the tightest block of them (fewest seats
    spanned). Then two adjacent rows. Otherwise the first free seats by row. Earlier rows win
    ties, so the cabin still fills from the front. `free` is in cabin order.
    """
    if count <= 0:
        return []
    if len(free) < count:
        raise ValueError("Not enough free seats")
    by_row: dict[int, list[Seat]] = {}
    for seat in free:
        by_row.setdefault(seat.row, []).append(seat)
    best: tuple[int, int, list[Seat]] | None = None
    for row, seats in by_row.items():
        if len(seats) >= count:
            span, start = min((seats[i + count - 1].column - seats[i].column, i) for i in range(len(seats) - count + 1))
            candidate = (span, row, seats[start : start + count])
            if best is None or candidate[:2] < best[:2]:
                best = candidate
    if best is not None:
        return best[2]
    for row, seats in sorted(by_row.items()):
        following = by_row.get(row + 1, [])
        if len(seats) + len(following) >= count:
            return (seats + following)[:count]
    return free[:count]


def nearest_free(wanted: Seat, free: list[Seat], *, limit: int = 3) -> list[Seat]:
    """The free seats closest to `wanted` (rows count more than columns), best first."""

    def distance(seat: Seat) -> tuple[int, int, int]:
        rows_away = abs(seat.row - wanted.row)
        return (rows_away * 2 + abs(seat.column - wanted.column), rows_away, seat.row)

    return sorted(free, key=distance)[:limit]
