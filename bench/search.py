"""Issue 3: flight search over a million flights, through the whole Django stack.

The results page and the autosuggest endpoint are requested with django.test.Client: in
process, through the middleware, the view, the cache and the template, with no HTTP server
or socket in the way. The raw SQL baseline runs the page's own search query (from
`bookable_flights_sql`) on a plain psycopg2 connection, for the same random inputs.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from .search_data import Route, SeedResult

SEARCH_REQUESTS = 300  # and as many of the cached page
BREAKDOWN_REQUESTS = 50
SUGGEST_PREFIXES = 300
WARMUP_REQUESTS = 10
HORIZON_DAYS = 360  # the search form sells up to 365 days ahead, in the origin's calendar
RESULT_MARK = b'class="card flight-card'

SEARCH_P95_TARGET_MS = 25
RATIO_TARGET = 10
CACHED_SPEEDUP_TARGET = 3
SUGGEST_P95_TARGET_MS = 10
SEED_TARGET_S = 120

OWNED_KEYS = {
    "search_flights_rows",
    "search_seed_s",
    "search_seed_reused",
    "search_p50_ms",
    "search_p95_ms",
    "search_results_share",
    "search_cached_p50_ms",
    "search_raw_sql_p50_ms",
    "search_ratio_p50",
    "search_uses_index",
    "autosuggest_p95_ms",
    "autosuggest_cached_p95_ms",
}


@dataclass(frozen=True)
class Search:
    route: Route
    day: date
    passengers: int

    @property
    def url(self) -> str:
        query = {
            "origin": self.route.origin_iata,
            "destination": self.route.destination_iata,
            "date": self.day.isoformat(),
            "passengers": self.passengers,
        }
        return f"/?{urlencode(query)}"

    def _query(self):
        from flights.selectors import SearchQuery

        return SearchQuery(
            origins=(self.route.origin_id,),
            destinations=(self.route.destination_id,),
            day=self.day,
            window="any",
            passengers=self.passengers,
        )

    def sql(self) -> tuple[str, list]:
        """The SQL the results page runs on a cache miss: the whole local day, up to its limit."""
        from flights.search import SEARCH_RESULTS_LIMIT
        from flights.selectors import bookable_flights_sql

        return bookable_flights_sql(
            query=self._query(), origin_zone=ZoneInfo(self.route.origin_tz), limit=SEARCH_RESULTS_LIMIT
        )


@dataclass
class PageRun:
    ms: list[float] = field(default_factory=list)
    results: list[int] = field(default_factory=list)  # flights listed on each page
    non_200: int = 0

    @property
    def with_results(self) -> int:
        return sum(1 for count in self.results if count)


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def verdict(met: bool) -> str:
    return "meets" if met else "MISSES"


def random_searches(routes: list[Route], *, count: int, last_day: date, rng: random.Random) -> list[Search]:
    """`count` different searches: a random route, a random future day the data covers, 1-3 passengers."""
    today = datetime.now(UTC).date()
    days = (min(last_day, today + timedelta(days=HORIZON_DAYS)) - today).days
    searches: dict[Search, None] = {}  # ordered and without repeats
    while len(searches) < count:
        day = today + timedelta(days=rng.randint(1, days))
        searches[Search(rng.choice(routes), day, rng.randint(1, 3))] = None
    return list(searches)


def purge_cache(*patterns: str) -> int:
    """Delete the bench's own cache entries matching `patterns` (never another site's keys)."""
    from django.conf import settings
    from django.core.cache import cache

    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    if not prefix.startswith("skyway-bench"):
        raise SystemExit(f"Refusing to delete cache keys under the prefix {prefix!r}: not the bench's.")
    return sum(cache.delete_pattern(pattern, itersize=1000) or 0 for pattern in patterns)


def get_page(client, url: str, run: PageRun) -> None:
    began = time.perf_counter()
    response = client.get(url)
    run.ms.append((time.perf_counter() - began) * 1000)
    run.non_200 += response.status_code != 200
    run.results.append(response.content.count(RESULT_MARK))


def get_pages(client, urls: list[str]) -> PageRun:
    run = PageRun()
    for url in urls:
        get_page(client, url, run)
    return run


@dataclass(frozen=True)
class Statement:
    sql: str
    params: object
    ms: float


@contextmanager
def statements_timed():
    """Every SQL statement Django runs inside the block, with its time (DEBUG stays off)."""
    from django.db import connection

    timed: list[Statement] = []

    def wrapper(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(Statement(sql, params, (time.perf_counter() - began) * 1000))

    with connection.execute_wrapper(wrapper):
        yield timed


def describe_pages(client, urls: list[str]) -> tuple[str, Statement | None]:
    """Statements per page and the median time of each kind, next to the page's median time;
    and the slowest statement of all."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    page_ms, sql_ms, counts, slowest = [], [], [], None
    for url in urls:
        with statements_timed() as timed:
            began = time.perf_counter()
            client.get(url)
            page_ms.append((time.perf_counter() - began) * 1000)
        counts.append(len(timed))
        sql_ms.append(sum(statement.ms for statement in timed))
        for statement in timed:
            by_kind[" ".join(statement.sql.split())[:100]].append(statement.ms)
            if slowest is None or statement.ms > slowest.ms:
                slowest = statement
    lines = [
        f"    median page {p50(page_ms):.2f} ms: {p50(counts):.0f} SQL statements taking {p50(sql_ms):.2f} ms, "
        f"the rest (Python, template, Redis) {p50(page_ms) - p50(sql_ms):.2f} ms"
    ]
    for kind, times in sorted(by_kind.items(), key=lambda item: -sum(item[1])):
        lines.append(f"    {p50(times):7.2f} ms x{len(times) / len(urls):.1f}  {kind}")
    return "\n".join(lines), slowest


def explain_sql(statement: Statement) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", statement.params)
        return "\n".join(row[0] for row in cursor.fetchall())


def indented(text: str) -> str:
    return "    " + text.replace("\n", "\n    ")


@contextmanager
def raw_cursor(connect_kwargs: dict):
    """A cursor on a plain psycopg2 connection of its own, in autocommit like Django's."""
    import psycopg2

    connection = psycopg2.connect(**connect_kwargs)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def raw_query_ms(cursor, sql: str, params) -> float:
    began = time.perf_counter()
    cursor.execute(sql, params)
    cursor.fetchall()
    return (time.perf_counter() - began) * 1000


def measure_pages(client, timed: list[Search], busy: Search) -> tuple[PageRun, PageRun]:
    """Each uncached search, then the cached page, in turn: the two are compared with each other,
    so they share the machine's ups and downs."""
    uncached, cached = PageRun(), PageRun()
    for search in timed:
        get_page(client, search.url, uncached)
        get_page(client, busy.url, cached)
    return uncached, cached


def raw_sql_ms(searches: list[Search], connect_kwargs: dict) -> list[float]:
    """The page's search query for each search, compiled by Django beforehand, then executed and
    fetched back to back on a plain connection: the floor the page is compared with."""
    compiled = [search.sql() for search in searches]
    with raw_cursor(connect_kwargs) as cursor:
        for sql, params in compiled[:WARMUP_REQUESTS]:
            raw_query_ms(cursor, sql, params)
        return [raw_query_ms(cursor, sql, params) for sql, params in compiled]


def suggest_prefixes(*, count: int, rng: random.Random) -> list[str]:
    """`count` different 2-4 letter beginnings of real city names, as someone types them."""
    from flights.models import Airport, fold

    cities = sorted(set(Airport.objects.exclude(city="").values_list("city", flat=True)))
    prefixes: dict[str, str] = {}
    while len(prefixes) < count:
        prefix = rng.choice(cities)[: rng.randint(2, 4)]
        if len(fold(prefix)) >= 2:  # shorter answers an empty list without a query
            prefixes.setdefault(fold(prefix), prefix)
    return list(prefixes.values())


def explain(search: Search) -> str:
    from django.db import connection

    sql, params = search.sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def choose_searches(client, seed: SeedResult, rng: random.Random) -> tuple[list, list, Search, int]:
    """Different random searches to time and to break down, after a warm-up of some more; and
    the page to cache. That one is a busy route-day, as popular searches are the ones in the
    cache: of a few days on the most frequent routes, the one listing most flights."""
    count = 2 * WARMUP_REQUESTS + SEARCH_REQUESTS + BREAKDOWN_REQUESTS
    searches = random_searches(seed.routes, count=count, last_day=seed.last_day, rng=rng)
    warmup = searches[:WARMUP_REQUESTS]
    get_pages(client, [search.url for search in warmup])
    frequent = sorted(seed.routes, key=lambda route: -route.flights_per_week)[:WARMUP_REQUESTS]
    candidates = [replace(search, route=route, passengers=1) for search, route in zip(warmup, frequent, strict=True)]
    listed = get_pages(client, [search.url for search in candidates]).results
    busy = candidates[listed.index(max(listed))]
    get_pages(client, [busy.url] * WARMUP_REQUESTS)  # cached from now on
    rest = [search for search in searches[WARMUP_REQUESTS:] if search not in candidates]
    return rest[:SEARCH_REQUESTS], rest[SEARCH_REQUESTS : SEARCH_REQUESTS + BREAKDOWN_REQUESTS], busy, max(listed)


def search_figures(figures: dict, seed: SeedResult, *, connect_kwargs: dict, say=print) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from flights.models import Flight

    rng = random.Random(3)
    client = Client()
    rows = Flight.objects.count()
    figures["search_flights_rows"] = rows
    figures["search_seed_s"] = round(seed.seconds, 1)
    figures["search_seed_reused"] = seed.reused
    how = "re-used from an earlier run, which took" if seed.reused else "seeded in"
    say(
        f"Flight search: {rows:,} flights in flights_flight ({seed.rows:,} generated on {len(seed.routes):,} routes, "
        f"{seed.first_day} to {seed.last_day}; {how} {seed.seconds:.1f} s, "
        f"{verdict(seed.seconds < SEED_TARGET_S)} the target < {SEED_TARGET_S} s)"
    )
    say(
        f"  SEARCH_CACHE_SECONDS={settings.SEARCH_CACHE_SECONDS}, SUGGEST_CACHE_SECONDS={settings.SUGGEST_CACHE_SECONDS}; "
        f"{purge_cache('search:*', 'suggest:*')} cached searches and suggestions of earlier runs deleted"
    )

    timed, breakdown, busy, listed = choose_searches(client, seed, rng)
    uncached, cached = measure_pages(client, timed, busy)
    figures["search_p50_ms"] = round(p50(uncached.ms), 2)
    figures["search_p95_ms"] = round(p95(uncached.ms), 2)
    figures["search_results_share"] = round(uncached.with_results / len(timed), 3)
    say(
        f"\n  Results page, uncached ({len(timed)} different searches: random route, day and 1-3 passengers):\n"
        f"    p50 {p50(uncached.ms):.2f} ms, p95 {p95(uncached.ms):.2f} ms "
        f"({verdict(p95(uncached.ms) <= SEARCH_P95_TARGET_MS)} the target p95 <= {SEARCH_P95_TARGET_MS} ms); "
        f"{uncached.with_results} list flights, {uncached.non_200} answers not 200"
    )

    raw = raw_sql_ms(timed, connect_kwargs)
    ratio = p50(uncached.ms) / p50(raw)
    figures["search_raw_sql_p50_ms"] = round(p50(raw), 3)
    figures["search_ratio_p50"] = round(ratio, 1)
    say(
        f"  The same searches' query as raw SQL (psycopg2, execute + fetchall, back to back): p50 {p50(raw):.3f} ms, "
        f"p95 {p95(raw):.3f} ms\n"
        f"    page / raw SQL at p50: {ratio:.1f} ({verdict(ratio <= RATIO_TARGET)} the target <= {RATIO_TARGET})"
    )

    figures["search_cached_p50_ms"] = round(p50(cached.ms), 2)
    speedup = p50(uncached.ms) / p50(cached.ms)
    say(
        f"  Results page, cached ({busy.url}, {listed} flights listed, asked after each uncached one): "
        f"p50 {p50(cached.ms):.2f} ms, p95 {p95(cached.ms):.2f} ms\n"
        f"    uncached / cached at p50: {speedup:.1f}x "
        f"({verdict(speedup >= CACHED_SPEEDUP_TARGET)} the target >= {CACHED_SPEEDUP_TARGET}x)"
    )
    say(f"  Where an uncached page's time goes ({len(breakdown)} more different searches):")
    say(describe_pages(client, [search.url for search in breakdown])[0])
    say("  And a cached page's:")
    say(describe_pages(client, [busy.url] * BREAKDOWN_REQUESTS)[0])

    plan = explain(busy)
    uses_index = "flight_search_idx" in plan and "Seq Scan on flights_flight" not in plan
    figures["search_uses_index"] = uses_index
    say(f"\n  EXPLAIN (ANALYZE, BUFFERS) of the search query for {busy.url}:")
    say(indented(plan))
    say(f"  Uses flight_search_idx without a Seq Scan on flights_flight: {'yes' if uses_index else 'NO'}")

    suggest_figures(figures, client, rng, say)
    connection.close()


def suggest_figures(figures: dict, client, rng: random.Random, say) -> None:
    from flights.services import airport_traffic_refresh

    began = time.perf_counter()
    busy_airports = airport_traffic_refresh()  # hourly in production; ranks the suggestions
    say(
        f"\n  airport_traffic_refresh (hourly in production): {busy_airports} airports with departures, "
        f"{time.perf_counter() - began:.2f} s"
    )
    prefixes = suggest_prefixes(count=WARMUP_REQUESTS + SUGGEST_PREFIXES, rng=rng)
    warmup, timed = prefixes[:WARMUP_REQUESTS], prefixes[WARMUP_REQUESTS:]
    get_pages(client, [f"/airports/suggest/?{urlencode({'q': prefix})}" for prefix in warmup])
    urls = [f"/airports/suggest/?{urlencode({'q': prefix})}" for prefix in timed]
    uncached = get_pages(client, urls)
    cached = get_pages(client, rng.sample(urls, len(urls)))
    figures["autosuggest_p95_ms"] = round(p95(uncached.ms), 2)
    figures["autosuggest_cached_p95_ms"] = round(p95(cached.ms), 2)
    say(f"  Autosuggest, {len(timed)} different 2-4 letter beginnings of city names, each asked twice:")
    for name, run in (("first time (uncached)", uncached), ("again (cached)", cached)):
        p95_ms = p95(run.ms)
        say(
            f"    {name:22s} p50 {p50(run.ms):6.2f} ms, p95 {p95_ms:6.2f} ms "
            f"({verdict(p95_ms <= SUGGEST_P95_TARGET_MS)} the target p95 <= {SUGGEST_P95_TARGET_MS} ms); "
            f"{run.non_200} answers not 200"
        )
    slowest = max(zip(uncached.ms, timed, strict=True))[1]
    purge_cache("suggest:*")
    say(f"  Where the slowest one's time goes ({slowest!r}, uncached again):")
    text, statement = describe_pages(client, [f"/airports/suggest/?{urlencode({'q': slowest})}"])
    say(text)
    if statement is not None:
        plan = explain_sql(statement)
        scan = "a Seq Scan" if "Seq Scan on flights_flight" in plan else "no Seq Scan"
        say(f"  EXPLAIN (ANALYZE, BUFFERS) of its slowest statement ({scan} on flights_flight):")
        say(indented(plan))
