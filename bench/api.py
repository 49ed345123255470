"""Issue 13: the JSON API (api/) next to the figures of the site it serves.

Search: `GET /api/v1/flights` through django.test.Client, in process, uncached, over the search
benchmark's generated flights, each request followed by one of a hello view (bench/urls.py), so
both share the machine's ups and downs; the figure is the ratio of their medians.

Holds: `POST /api/v1/holds` over HTTP through gunicorn (sync workers), by forked client
processes on one hot flight, each request with a Bearer token of one of its users and a fresh
Idempotency-Key: the API's answer to `booking_hot_c4_per_s`, which calls the same service in
process.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import random
import threading
import time
import traceback
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .search import Search, describe_pages, p50, p95, purge_cache, random_searches, statements_timed, verdict

SEARCHES = 300
BREAKDOWN_REQUESTS = 50
WARMUP_REQUESTS = 10
HOLD_CLIENTS = 4
GUNICORN_WORKERS = 4  # sync workers: one per client, as many holds in flight as booking_hot_c4 has
HOLD_WARMUP = 3  # per client, before the timed part (the first requests import and connect)
HOLD_BREAKDOWN = 30
SEARCH_RATIO_TARGET = 8
HOLD_RATIO_TARGET = 0.3
# Every request comes from 127.0.0.1: the API's budgets and the per-client hold limits are
# raised past what a run reaches. They are still checked (throttle history in Redis, the
# limits' counts under the flight lock), as the per-account limits are in the booking part.
NO_RATE_LIMIT = "1000000/min"
HOLD_LIMIT = 100000
HOLD_LIMIT_SETTINGS = (
    "HOLD_LIMIT_PER_FLIGHT",
    "HOLD_LIMIT_PER_ACCOUNT",
    "HOLD_LIMIT_PER_FLIGHT_PER_CLIENT",
    "HOLD_LIMIT_PER_CLIENT",
)
HOLDS_PATH = "/api/v1/holds"

OWNED_KEYS = {
    "api_search_p50_ms",
    "api_search_p95_ms",
    "api_hello_p50_ms",
    "api_search_vs_hello_p50",
    f"api_hold_hot_c{HOLD_CLIENTS}_per_s",
    f"api_hold_hot_c{HOLD_CLIENTS}_p50_ms",
    f"api_hold_vs_booking_hot_c{HOLD_CLIENTS}",
}


def _in_process_settings() -> dict:
    """override_settings for django.test.Client: the bench URLconf (the product's plus hello),
    and the same raised budgets and limits the gunicorn gets."""
    return {
        "ROOT_URLCONF": "bench.urls",
        "API_RATE_USER": NO_RATE_LIMIT,
        "API_RATE_ADDRESS": NO_RATE_LIMIT,
        **dict.fromkeys(HOLD_LIMIT_SETTINGS, HOLD_LIMIT),
    }


def search_url(search: Search) -> str:
    query = {
        "origin": search.route.origin_iata,
        "destination": search.route.destination_iata,
        "date": search.day.isoformat(),
        "passengers": search.passengers,
    }
    return f"/api/v1/flights?{urlencode(query)}"


def _timed_get(client, url: str) -> tuple[float, object]:
    began = time.perf_counter()
    response = client.get(url)
    return (time.perf_counter() - began) * 1000, response


def search_figures(figures: dict, seed, *, say=print) -> None:
    from django.test import Client, override_settings

    from .urls import HELLO_PATH

    rng = random.Random(13)  # not the search part's searches, should both run
    with override_settings(**_in_process_settings()):
        client = Client()
        deleted = purge_cache("search:*")
        searches = random_searches(
            seed.routes, count=WARMUP_REQUESTS + SEARCHES + BREAKDOWN_REQUESTS, last_day=seed.last_day, rng=rng
        )
        warmup = searches[:WARMUP_REQUESTS]
        timed = searches[WARMUP_REQUESTS : WARMUP_REQUESTS + SEARCHES]
        breakdown = searches[WARMUP_REQUESTS + SEARCHES :]
        for search in warmup:
            client.get(search_url(search))
            client.get(HELLO_PATH)
        api_ms, hello_ms, listed, not_ok = [], [], [], defaultdict(int)
        for search in timed:
            ms, response = _timed_get(client, search_url(search))
            api_ms.append(ms)
            if response.status_code == 200:
                listed.append(len(response.json()["results"]))
            else:
                not_ok[f"API {response.status_code}"] += 1
            ms, response = _timed_get(client, HELLO_PATH)
            hello_ms.append(ms)
            if response.status_code != 200:
                not_ok[f"hello {response.status_code}"] += 1
        ratio = p50(api_ms) / p50(hello_ms)
        figures["api_search_p50_ms"] = round(p50(api_ms), 2)
        figures["api_search_p95_ms"] = round(p95(api_ms), 2)
        figures["api_hello_p50_ms"] = round(p50(hello_ms), 3)
        figures["api_search_vs_hello_p50"] = round(ratio, 1)
        say(
            f"API search, GET /api/v1/flights through django.test.Client, uncached ({deleted} cached searches "
            f"deleted, then {len(timed)} different searches: random generated route, day and 1-3 passengers), "
            f"each followed by GET {HELLO_PATH}:\n"
            f"  API search p50 {p50(api_ms):.2f} ms, p95 {p95(api_ms):.2f} ms; "
            f"{sum(1 for count in listed if count)} list flights"
            + (f"; not 200: {dict(not_ok)}" if not_ok else "")
            + f"\n  hello p50 {p50(hello_ms):.3f} ms, p95 {p95(hello_ms):.3f} ms\n"
            f"  API search / hello at p50: {ratio:.1f} ({verdict(ratio <= SEARCH_RATIO_TARGET)} the target "
            f"<= {SEARCH_RATIO_TARGET})"
        )
        say(f"  Where an uncached API search's time goes ({len(breakdown)} more different searches):")
        say(describe_pages(client, [search_url(search) for search in breakdown])[0])


# Holds ---------------------------------------------------------------------------------------


def access_tokens(user_ids: list[int]) -> dict[int, str]:
    """A JWT access token per user, as POST /api/v1/auth/token would give (no password check)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    return {user.pk: str(AccessToken.for_user(user)) for user in User.objects.filter(pk__in=user_ids)}


def mark_seen(user_ids: list[int]) -> None:
    """The passengers were on the site within the hour (as one is who searched before holding),
    so accounts' LastSeenMiddleware does not add its hourly UPDATE to every bench hold: each
    bench user holds about once a run, a real one makes several requests an hour."""
    from django.utils import timezone

    from accounts.models import User

    User.objects.filter(pk__in=user_ids).update(last_seen_at=timezone.now())


def _hold_headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }


def _problem_code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("code", ""))
    except (ValueError, AttributeError):
        return ""


def hold_breakdown(flight_id: int, tokens: list[str], *, say=print) -> None:
    """Holds through django.test.Client, one at a time: each statement kind's median time, and
    the rest (DRF, JWT, throttles, serializers, Redis)."""
    from django.test import Client, override_settings

    body = json.dumps({"flight": flight_id, "passengers": 1})
    by_kind: dict[str, list[float]] = defaultdict(list)
    total_ms, sql_ms, counts, statuses = [], [], [], defaultdict(int)
    with override_settings(**_in_process_settings()):
        client = Client()
        for index, token in enumerate(tokens):
            with statements_timed() as timed:
                began = time.perf_counter()
                response = client.post(HOLDS_PATH, body, content_type="application/json", headers=_hold_headers(token))
                elapsed = (time.perf_counter() - began) * 1000
            statuses[response.status_code] += 1
            if index < 3:
                continue  # warm-up
            total_ms.append(elapsed)
            counts.append(len(timed))
            sql_ms.append(sum(statement.ms for statement in timed))
            for statement in timed:
                by_kind[" ".join(statement.sql.split())[:100]].append(statement.ms)
    runs = len(total_ms)
    say(
        f"  One API hold at a time in process (django.test.Client, {runs} holds; answers {dict(statuses)}):\n"
        f"    median {p50(total_ms):.2f} ms: {p50(counts):.0f} SQL statements taking {p50(sql_ms):.2f} ms, "
        f"the rest (DRF, JWT, throttles in Redis, serializers) {p50(total_ms) - p50(sql_ms):.2f} ms"
    )
    for kind, times in sorted(by_kind.items(), key=lambda item: -sum(item[1])):
        say(f"    {p50(times):7.2f} ms x{len(times) / runs:.1f}  {kind}")


@dataclass
class HoldRun:
    clients: int
    holds: int  # 201s
    seconds: float
    latencies_ms: list[float]
    failure_kinds: dict[str, int] = field(default_factory=dict)
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0  # the gunicorn workers, over the timed part
    machine_busy: float = 0.0  # share of all the machine's cores busy meanwhile (anyone's processes)

    @property
    def per_second(self) -> float:
        return self.holds / self.seconds if self.seconds else 0.0


def _machine_ticks() -> tuple[int, int]:
    """(all, idle + iowait) CPU ticks of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]


def _post_hold(port: int, body: bytes, token: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", HOLDS_PATH, body=body, headers={"Host": "127.0.0.1", **_hold_headers(token)})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()  # gunicorn's sync workers close it anyway


def _hold_client(index, port, body, tokens, seconds, barrier, results) -> None:
    """One client process: warm up, wait for the others, POST holds until its time is up,
    taking turns among its users."""
    failures: dict[str, int] = defaultdict(int)
    latencies: list[float] = []
    try:
        for turn in range(HOLD_WARMUP):
            status, answer = _post_hold(port, body, tokens[turn % len(tokens)])
            if status != 201:
                raise RuntimeError(f"A warm-up hold answered {status}: {answer[:500].decode(errors='replace')}")
        barrier.wait()
        began, cpu_began = time.monotonic(), time.process_time()
        done = turn = 0
        while time.monotonic() < began + seconds:
            turn += 1
            sent = time.perf_counter()
            status, answer = _post_hold(port, body, tokens[(index + turn) % len(tokens)])
            latencies.append((time.perf_counter() - sent) * 1000)
            if status == 201:
                done += 1
            else:
                failures[f"{status} {_problem_code(answer)}".strip()] += 1
        results.put(("ok", done, dict(failures), began, time.monotonic(), time.process_time() - cpu_began, latencies))
    except BaseException:
        barrier.abort()
        results.put(("error", traceback.format_exc()))


def run_holds(*, server, flight_id: int, tokens: list[str], clients: int, seconds: float) -> HoldRun:
    from django.db import connections

    from .web import cpu_seconds

    connections.close_all()  # nothing of Django's crosses the fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)  # and this process, to read the workers' CPU time
    results = context.Queue()
    body = json.dumps({"flight": flight_id, "passengers": 1}).encode()
    processes = [
        context.Process(
            target=_hold_client,
            args=(index, server.port, body, tokens[index::clients], seconds, barrier, results),
            name=f"bench-api-{index}",
        )
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    workers = server.worker_pids()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client failed: its traceback is in the results
        barrier.wait(timeout=120)
    server_cpu, machine = cpu_seconds(workers), _machine_ticks()
    finished = [results.get(timeout=seconds + 120) for _ in processes]
    server_cpu = cpu_seconds(workers) - server_cpu
    machine = tuple(after - before for after, before in zip(_machine_ticks(), machine, strict=True))
    for process in processes:
        process.join()
    errors = [item[1] for item in finished if item[0] == "error"]
    if errors:
        raise RuntimeError(next((text for text in errors if "BrokenBarrierError" not in text), errors[0]))
    kinds: dict[str, int] = defaultdict(int)
    for item in finished:
        for name, count in item[2].items():
            kinds[name] += count
    return HoldRun(
        clients=clients,
        holds=sum(item[1] for item in finished),
        seconds=max(item[4] for item in finished) - min(item[3] for item in finished),
        latencies_ms=[ms for item in finished for ms in item[6]],
        failure_kinds=dict(kinds),
        client_cpu_seconds=sum(item[5] for item in finished),
        server_cpu_seconds=server_cpu,
        machine_busy=1 - machine[1] / machine[0] if machine[0] else 0.0,
    )


def hold_figures(figures: dict, *, user_ids: list[int], airports: dict, bench_url: str, seconds: float, say=print):
    from bookings.models import Booking

    from .database import BENCH_CAPACITY, create_flight
    from .web import gunicorn

    tokens_by_user = access_tokens(user_ids)
    tokens = [tokens_by_user[pk] for pk in user_ids]
    mark_seen(user_ids)
    say("")
    hold_breakdown(create_flight(number="AP0", airports=airports), tokens[:HOLD_BREAKDOWN], say=say)

    flight_id = create_flight(number=f"AP{HOLD_CLIENTS}", airports=airports)
    env = {
        "API_RATE_USER": NO_RATE_LIMIT,
        "API_RATE_ADDRESS": NO_RATE_LIMIT,
        **{name: str(HOLD_LIMIT) for name in HOLD_LIMIT_SETTINGS},
    }
    with gunicorn(
        database_url=bench_url, workers=GUNICORN_WORKERS, env=env, probe=f"/api/v1/flights/{flight_id}"
    ) as server:
        result = run_holds(server=server, flight_id=flight_id, tokens=tokens, clients=HOLD_CLIENTS, seconds=seconds)
    held = Booking.objects.filter(flight_id=flight_id).count()
    key = f"api_hold_hot_c{HOLD_CLIENTS}"
    figures[f"{key}_per_s"] = round(result.per_second, 1)
    figures[f"{key}_p50_ms"] = round(p50(result.latencies_ms), 2)
    text = (
        f"  POST {HOLDS_PATH} over HTTP, gunicorn with {GUNICORN_WORKERS} sync workers, {HOLD_CLIENTS} client "
        f"processes, one flight (capacity {BENCH_CAPACITY:,}), {seconds:.0f} s:\n"
        f"    {result.per_second:8.1f} holds/s (201s: {result.holds} in {result.seconds:.1f} s; "
        f"{held} bookings on the flight with the warm-ups); per request p50 {p50(result.latencies_ms):.1f} ms, "
        f"p95 {p95(result.latencies_ms):.1f} ms\n"
        f"    CPU per hold: gunicorn workers {result.server_cpu_seconds * 1000 / max(result.holds, 1):.2f} ms "
        f"({result.server_cpu_seconds / result.seconds:.0%} of one core in all), clients "
        f"{result.client_cpu_seconds * 1000 / max(result.holds, 1):.2f} ms; the machine's cores were "
        f"{result.machine_busy:.0%} busy meanwhile (all processes)"
    )
    if result.failure_kinds:
        text += "\n    not 201: " + ", ".join(f"{count} {name}" for name, count in sorted(result.failure_kinds.items()))
    say(text)
    booking = figures.get(f"booking_hot_c{HOLD_CLIENTS}_per_s")
    if booking:
        ratio = result.per_second / booking
        figures[f"api_hold_vs_booking_hot_c{HOLD_CLIENTS}"] = round(ratio, 3)
        say(
            f"    API holds / booking_hot_c{HOLD_CLIENTS}_per_s ({booking}) of this run: {ratio:.3f} "
            f"({verdict(ratio >= HOLD_RATIO_TARGET)} the target >= {HOLD_RATIO_TARGET})"
        )
    else:
        say(
            f"    (the ratio to booking_hot_c{HOLD_CLIENTS}_per_s needs the booking part in the same run: "
            f"`python -m bench booking api`)"
        )


def api_figures(figures: dict, seed, *, user_ids, airports, bench_url: str, seconds: float, say=print) -> None:
    search_figures(figures, seed, say=say)
    hold_figures(figures, user_ids=user_ids, airports=airports, bench_url=bench_url, seconds=seconds, say=say)
