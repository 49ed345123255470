"""Real threads on real PostgreSQL, for the concurrency tests (bookings, the API)."""

import threading

from django.db import connection


def run_threads(count: int, work) -> list:
    """Start `count` threads together at a barrier; each returns work(i) or the exception it
    raised. Each closes its own database connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # collected and asserted on by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results
