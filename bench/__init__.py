"""Benchmarks: figures, not tests. `make bench` runs `python -m bench`.

Everything runs against a separate database named `bench` on the server DATABASE_URL points
at; the `booking` database is never touched. Results go to bench/results/latest.json, merged
with whatever figures are already there. Nothing here asserts a timing.

This package imports no Django at import time: `bench.__main__` configures the environment
first, then sets Django up.
"""

import os

# BENCH_DATABASE names another one, so two benches on one server (two checkouts, CI jobs)
# do not empty each other's tables.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE") or "bench"
