"""bench/results/latest.json: every figure a bench run produced, merged with earlier keys."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def write_results(figures: dict, *, owned: set[str], path: Path = RESULTS) -> dict:
    """Merge `figures` into the file. Keys in `owned` this run did not measure are dropped, so
    a skipped figure never shows a stale value; keys other benchmarks wrote are kept."""
    merged: dict = {}
    if path.exists():
        try:
            merged = json.loads(path.read_text())
        except ValueError:
            print(f"  note: {path} was not valid JSON; starting it afresh", flush=True)
        if not isinstance(merged, dict):
            merged = {}
    for key in owned - figures.keys():
        merged.pop(key, None)
    merged.update(figures)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n")
    return merged
