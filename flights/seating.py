"""Cabin layout derived from capacity: rows of six seats, A-F, numbered from the front."""

from functools import lru_cache

SEAT_LETTERS = "ABCDEF"


@lru_cache(maxsize=64)
def seat_labels(capacity: int) -> tuple[str, ...]:
    """All seat labels for a cabin of `capacity` seats in boarding order: 1A..1F, 2A.. .

    60 seats is 10 full rows; a capacity that is not a multiple of six leaves the last row short.
    """
    per_row = len(SEAT_LETTERS)
    return tuple(f"{index // per_row + 1}{SEAT_LETTERS[index % per_row]}" for index in range(capacity))
