"""The floor the booking figures are compared with: the real `pgbench` doing the smallest
lock-protected write transaction (lock one row, update it, log a row) on the same database."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile

from .database import ServerAddress

COUNTER_TABLE = "bench_sfu_counter"
LOG_TABLE = "bench_sfu_log"

SCRIPT = f"""\
BEGIN;
SELECT value FROM {COUNTER_TABLE} WHERE id = 1 FOR UPDATE;
UPDATE {COUNTER_TABLE} SET value = value + 1 WHERE id = 1;
INSERT INTO {LOG_TABLE} (counter_id, created_at) VALUES (1, now());
COMMIT;
"""

TPS_RE = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


def find_pgbench() -> str | None:
    """The real binary under /usr/lib/postgresql/<version>/bin first (newest version), then
    whatever `pgbench` is on PATH (on Debian that is a wrapper around the same binary)."""

    def version(path: str) -> int:
        found = re.search(r"/postgresql/(\d+)/", path)
        return int(found.group(1)) if found else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), key=version, reverse=True)
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("pgbench")


def prepare_tables() -> None:
    """One counter row and an empty log, in the bench database (Django's connection)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {COUNTER_TABLE} (id integer PRIMARY KEY, value bigint NOT NULL)")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (id bigserial PRIMARY KEY, "
            "counter_id integer NOT NULL, created_at timestamptz NOT NULL)"
        )
        cursor.execute(f"TRUNCATE {LOG_TABLE}")
        cursor.execute(
            f"INSERT INTO {COUNTER_TABLE} (id, value) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET value = 0"
        )


def run_pgbench(*, binary: str, address: ServerAddress, database: str, clients: int, seconds: int) -> float:
    """Transactions per second of SCRIPT with `clients` connections for `seconds`."""
    with tempfile.NamedTemporaryFile("w", prefix="bench-sfu-", suffix=".sql", delete=False) as script:
        script.write(SCRIPT)
    command = [
        binary,
        "--no-vacuum",
        "--client",
        str(clients),
        "--jobs",
        str(min(clients, os.cpu_count() or 1)),
        "--time",
        str(seconds),
        "--file",
        script.name,
    ]
    if address.host:
        command += ["--host", address.host]
    if address.port:
        command += ["--port", address.port]
    if address.user:
        command += ["--username", address.user]
    command.append(database)
    env = {**os.environ, "PGPASSWORD": address.password} if address.password else dict(os.environ)
    try:
        completed = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    found = TPS_RE.search(completed.stdout)
    if completed.returncode != 0 or not found:
        raise RuntimeError(f"pgbench failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return float(found.group(1))
