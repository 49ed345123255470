"""Checkouts per second through `bookings.services.booking_create` (hold the seats, name the
passengers, pay with the test provider: three transactions, the first under the flight's row
lock), and what happens in that lock."""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

PASSENGER = ["Bench Passenger"]
WARMUP_BOOKINGS = 2


@dataclass
class RunResult:
    threads: int
    bookings: int
    failures: int
    seconds: float
    failure_kinds: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # this process, all threads, over the timed part

    @property
    def cpu_ms_per_booking(self) -> float:
        return self.cpu_seconds * 1000 / self.bookings if self.bookings else 0.0

    @property
    def per_second(self) -> float:
        return self.bookings / self.seconds if self.seconds else 0.0


def _card():
    from bookings.payments import Card

    return Card(number="4242424242424242", expiry_month=12, expiry_year=2099, cvc="123", holder="Bench Passenger")


def _book(user, flight_id: int, rng: random.Random | None = None) -> None:
    """One passenger, the site chooses the seat."""
    from bookings.services import booking_create

    booking_create(user=user, flight_id=flight_id, passenger_names=PASSENGER, token=uuid.uuid4(), card=_card())


# A passenger picks from the free seats near the front, as people do: clients racing for the
# same few seats makes some checkouts end in "seat taken", as on a busy real flight.
SEATMAP_CHOICES = 12


def book_from_seat_map(user, flight_id: int, rng: random.Random) -> None:
    """What the flight page and its POST do: read the live seat map (sold and held seats
    taken), pick one of the first free seats, and check out with it."""
    from bookings.selectors import taken_seats
    from bookings.services import booking_create
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
    booking_create(
        user=user,
        flight_id=flight_id,
        passenger_names=PASSENGER,
        token=uuid.uuid4(),
        card=_card(),
        seats=[rng.choice(free)],
    )


def run_bookings(*, threads: int, user_ids: list[int], flight_ids: list[int], seconds: float, book=_book) -> RunResult:
    """`threads` threads, each on its own connection and user, check out one seat at a time on a
    random flight of `flight_ids` (one id: all on the same row lock) for `seconds`."""
    from bookings.exceptions import FlightBusy, SeatTaken, SoldOut

    start: list[float] = []  # wall clock and process CPU (all threads) when the threads are released
    barrier = threading.Barrier(threads, action=lambda: start.extend((time.perf_counter(), time.process_time())))

    def worker(index: int) -> tuple[int, dict[str, int], float]:
        from django.db import connection

        from accounts.models import User

        rng = random.Random(index)
        failures: dict[str, int] = {}
        started = False
        try:
            user = User.objects.get(pk=user_ids[index % len(user_ids)])
            for _ in range(WARMUP_BOOKINGS):
                try:
                    book(user, rng.choice(flight_ids), rng)
                except (FlightBusy, SeatTaken, SoldOut):
                    pass  # a warm-up that lost a race warmed up just the same
            barrier.wait()
            started = True
            deadline = start[0] + seconds
            done = 0
            while time.perf_counter() < deadline:
                try:
                    book(user, rng.choice(flight_ids), rng)
                    done += 1
                except (FlightBusy, SeatTaken, SoldOut) as error:
                    name = type(error).__name__
                    failures[name] = failures.get(name, 0) + 1
            return done, failures, time.perf_counter()
        finally:
            if not started:
                barrier.abort()  # a thread that failed early must not leave the others waiting
            connection.close()

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench") as pool:
        futures = [pool.submit(worker, index) for index in range(threads)]
    cpu_seconds = time.process_time() - start[1] if start else 0.0
    errors = [future.exception() for future in futures if future.exception() is not None]
    if errors:
        # The first real error, not the BrokenBarrierError it caused in the other threads.
        raise next((error for error in errors if not isinstance(error, threading.BrokenBarrierError)), errors[0])
    finished = [future.result() for future in futures]
    kinds: dict[str, int] = {}
    for _, failures, _ in finished:
        for name, count in failures.items():
            kinds[name] = kinds.get(name, 0) + count
    return RunResult(
        threads=threads,
        bookings=sum(done for done, _, _ in finished),
        failures=sum(kinds.values()),
        seconds=max(end for _, _, end in finished) - start[0],
        failure_kinds=kinds,
        cpu_seconds=cpu_seconds,
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
    """One thread, no contention: which statements run while the flight row is locked, and
    how long the lock is held (from the FOR UPDATE returning to the COMMIT returning)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from bookings.models import Ticket

    user = User.objects.get(pk=user_id)
    tickets = Ticket.objects.filter(flight_id=flight_id).count()
    _book(user, flight_id)  # warm: seat labels cached, connection open

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
            _book(user, flight_id)
        runs.append((timed, marks, time.perf_counter() - began))

    with CaptureQueriesContext(connection) as captured:
        _book(user, flight_id)
    sqls = [query["sql"] for query in captured.captured_queries]
    lock_at = next(index for index, sql in enumerate(sqls) if "FOR UPDATE" in sql)
    commit_at = next(index for index in range(lock_at, len(sqls)) if sqls[index].strip().upper() == "COMMIT")

    first, first_marks, _ = runs[0]
    lock_index = next(index for index, (sql, _, _) in enumerate(first) if "FOR UPDATE" in sql)
    # The checkout's later steps (names, payment) run after the hold has committed: only the
    # statements that began before the row lock was released were run holding it.
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
                f"  flight with {profile.tickets_on_flight} tickets: booking_create {profile.total_ms:.2f} ms, "
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
