"""Bookings per second, and what happens while the flight row is locked.

A booking is `bookings.services.booking_hold`: the passenger's seats are taken for everyone
else under the flight's row lock; this is the write the lock protects, and what pgbench's
lock-protected write is compared with. A checkout is the passenger's whole journey through
`booking_create`: hold, name the passengers, pay with the test provider (three transactions,
only the first under the flight lock).

Clients are forked processes, each with its own database connection, as gunicorn workers are:
threads in one process would measure the GIL, not the booking.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import time
import traceback
import uuid
from dataclasses import dataclass, field

PASSENGER = ["Bench Passenger"]
WARMUP_BOOKINGS = 2


@dataclass
class RunResult:
    clients: int
    bookings: int
    failures: int
    seconds: float
    failure_kinds: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # all client processes, over the timed part

    @property
    def cpu_ms_per_booking(self) -> float:
        return self.cpu_seconds * 1000 / self.bookings if self.bookings else 0.0

    @property
    def per_second(self) -> float:
        return self.bookings / self.seconds if self.seconds else 0.0


def _card():
    from bookings.payments import Card

    return Card(number="4242424242424242", expiry_month=12, expiry_year=2099, cvc="123", holder="Bench Passenger")


def hold(user, flight_id: int, rng: random.Random | None = None) -> None:
    """One passenger, the site chooses the seat: the booking under the flight lock."""
    from bookings.services import booking_hold

    booking_hold(user=user, flight_id=flight_id, seats=[None], token=uuid.uuid4())


def checkout(user, flight_id: int, rng: random.Random | None = None) -> None:
    """One passenger's whole checkout: hold a seat the site chooses, name, pay."""
    from bookings.services import booking_create

    booking_create(user=user, flight_id=flight_id, passenger_names=PASSENGER, token=uuid.uuid4(), card=_card())


# A passenger picks from the free seats near the front, as people do: clients racing for the
# same few seats makes some bookings end in "seat taken", as on a busy real flight.
SEATMAP_CHOICES = 12


def hold_from_seat_map(user, flight_id: int, rng: random.Random) -> None:
    """What the flight page and its POST do: read the live seat map (sold and held seats
    taken), pick one of the first free seats, and hold it."""
    from bookings.selectors import taken_seats
    from bookings.services import booking_hold
    from flights.models import Flight
    from flights.seating import seat_labels

    capacity, layout = Flight.objects.values_list("capacity", "layout").get(pk=flight_id)
    taken = taken_seats(flight_id=flight_id)
    free = []
    for label in seat_labels(capacity, layout):
        if label not in taken:
            free.append(label)
            if len(free) == SEATMAP_CHOICES:
                break
    booking_hold(user=user, flight_id=flight_id, seats=[rng.choice(free)], token=uuid.uuid4())


def _client(index, user_ids, flight_ids, seconds, book, barrier, results) -> None:
    """One client process: warm up, wait for the others, book until its time is up."""
    from django.db import connection

    from accounts.models import User
    from bookings.exceptions import FlightBusy, SeatTaken, SoldOut

    rng = random.Random(index)
    failures: dict[str, int] = {}
    try:
        users = list(User.objects.filter(pk__in=user_ids))
        for turn in range(WARMUP_BOOKINGS):
            try:
                book(users[turn % len(users)], rng.choice(flight_ids), rng)
            except (FlightBusy, SeatTaken, SoldOut):
                pass  # a warm-up that lost a race warmed up just the same
        barrier.wait()
        began, cpu_began = time.monotonic(), time.process_time()
        done = turn = 0
        while time.monotonic() < began + seconds:
            turn += 1
            try:
                book(users[turn % len(users)], rng.choice(flight_ids), rng)
                done += 1
            except (FlightBusy, SeatTaken, SoldOut) as error:
                name = type(error).__name__
                failures[name] = failures.get(name, 0) + 1
        results.put(("ok", done, failures, began, time.monotonic(), time.process_time() - cpu_began))
    except BaseException:
        barrier.abort()  # a client that failed must not leave the others waiting
        results.put(("error", traceback.format_exc()))
    finally:
        connection.close()


def run_bookings(*, clients: int, user_ids: list[int], flight_ids: list[int], seconds: float, book=hold) -> RunResult:
    """`clients` forked processes, each on its own connection, book one seat at a time on a
    random flight of `flight_ids` (one id: all on the same row lock) for `seconds`. Each
    client takes turns among its share of `user_ids`, as many passengers do."""
    from django.db import connections

    connections.close_all()  # children open their own: a connection must not cross a fork
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients)
    results = context.Queue()
    processes = [
        context.Process(
            target=_client,
            args=(index, user_ids[index::clients], flight_ids, seconds, book, barrier, results),
            name=f"bench-{index}",
        )
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    finished = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    errors = [item[1] for item in finished if item[0] == "error"]
    if errors:
        # The first real error, not the BrokenBarrierError it caused in the other clients.
        raise RuntimeError(next((text for text in errors if "BrokenBarrierError" not in text), errors[0]))
    kinds: dict[str, int] = {}
    for _, _, failures, *_ in finished:
        for name, count in failures.items():
            kinds[name] = kinds.get(name, 0) + count
    return RunResult(
        clients=clients,
        bookings=sum(item[1] for item in finished),
        failures=sum(kinds.values()),
        seconds=max(item[4] for item in finished) - min(item[3] for item in finished),
        failure_kinds=kinds,
        cpu_seconds=sum(item[5] for item in finished),
    )


@dataclass
class Statement:
    sql: str
    ms: float  # median over the samples
    python_ms_before: float  # median time since the previous statement returned


@dataclass
class LockProfile:
    tickets_on_flight: int
    statements_before_lock: list[Statement]
    lock_statement: Statement
    statements_in_lock: list[Statement]  # strictly between the FOR UPDATE and the COMMIT
    commit_ms: float
    hold_ms: float
    total_ms: float
    captured_between: int  # the same count, as CaptureQueriesContext sees it

    @property
    def sql_ms_in_lock(self) -> float:
        return sum(statement.ms for statement in self.statements_in_lock)

    @property
    def python_ms_in_lock(self) -> float:
        return max(self.hold_ms - self.sql_ms_in_lock - self.commit_ms, 0.0)


def profile_lock(*, user_id: int, flight_id: int, samples: int = 30) -> LockProfile:
    """One client, no contention: which statements run while the flight row is locked, and
    how long the lock is held (from the FOR UPDATE returning to the COMMIT returning)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bookings.models import Ticket

    user = User.objects.get(pk=user_id)
    tickets = Ticket.objects.filter(flight_id=flight_id).count()
    hold(user, flight_id)  # warm: seat labels cached, connection open

    runs = []
    for _ in range(samples):
        timed: list[tuple[str, float, float]] = []
        marks: dict[str, float] = {}

        def time_statement(execute, sql, params, many, context, timed=timed, marks=marks):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                ended = time.perf_counter()
                timed.append((sql, began, ended))
                if "FOR UPDATE" in sql and "locked" not in marks:
                    marks["locked"] = ended
                    # Registered inside the booking's transaction, before its outbox hook: it
                    # runs first once COMMIT has returned, i.e. when the row lock is gone.
                    transaction.on_commit(lambda: marks.setdefault("released", time.perf_counter()))

        began = time.perf_counter()
        with connection.execute_wrapper(time_statement):
            hold(user, flight_id)
        runs.append((timed, marks, time.perf_counter() - began))

    with CaptureQueriesContext(connection) as captured:
        hold(user, flight_id)
    sqls = [query["sql"] for query in captured.captured_queries]
    lock_at = next(index for index, sql in enumerate(sqls) if "FOR UPDATE" in sql)
    commit_at = next(index for index in range(lock_at, len(sqls)) if sqls[index].strip().upper() == "COMMIT")

    first, first_marks, _ = runs[0]
    lock_index = next(index for index, (sql, _, _) in enumerate(first) if "FOR UPDATE" in sql)
    # Only the statements that began before the row lock was released were run holding it.
    release_index = next(
        (index for index, (_, began, _) in enumerate(first) if began >= first_marks["released"]), len(first)
    )

    def median_ms(values) -> float:
        return statistics.median(values) * 1000

    statements = [
        Statement(
            sql=sql,
            ms=median_ms([timed[index][2] - timed[index][1] for timed, _, _ in runs]),
            python_ms_before=median_ms([timed[index][1] - timed[index - 1][2] for timed, _, _ in runs])
            if index
            else 0.0,
        )
        for index, (sql, _, _) in enumerate(first)
    ]
    return LockProfile(
        tickets_on_flight=tickets,
        statements_before_lock=statements[:lock_index],
        lock_statement=statements[lock_index],
        statements_in_lock=statements[lock_index + 1 : release_index],
        commit_ms=median_ms([marks["released"] - timed[release_index - 1][2] for timed, marks, _ in runs]),
        hold_ms=median_ms([marks["released"] - marks["locked"] for _, marks, _ in runs]),
        total_ms=median_ms([total for _, _, total in runs]),
        captured_between=commit_at - lock_at - 1,
    )


def describe(profile: LockProfile) -> str:
    def line(statement: Statement) -> str:
        short = " ".join(statement.sql.split())
        return (
            f"      {statement.python_ms_before:5.2f} + {statement.ms:5.2f} ms  "
            f"{short[:90]}{'...' if len(short) > 90 else ''}"
        )

    hold = profile.hold_ms
    return "\n".join(
        [
            (
                f"  flight with {profile.tickets_on_flight} tickets: booking_hold {profile.total_ms:.2f} ms, "
                f"row lock held {hold:.2f} ms (medians) -> at most {1000 / hold:.0f} bookings/s on one flight"
            ),
            "    Python before each statement + the statement's round-trip (medians):",
            f"    before the lock ({len(profile.statements_before_lock)} statements; BEGIN is not one):",
            *(line(statement) for statement in profile.statements_before_lock),
            line(profile.lock_statement),
            (
                f"    holding the lock: {len(profile.statements_in_lock)} statements between FOR UPDATE and COMMIT "
                f"(CaptureQueriesContext: {profile.captured_between}), then COMMIT"
            ),
            *(line(statement) for statement in profile.statements_in_lock),
            f"              {profile.commit_ms:5.2f} ms  COMMIT",
            (
                f"    in all, with the row locked: {profile.sql_ms_in_lock:.2f} ms in statements, {profile.commit_ms:.2f} ms "
                f"in COMMIT, {profile.python_ms_in_lock:.2f} ms in Python"
            ),
        ]
    )
