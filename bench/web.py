"""Memory of one gunicorn worker after serving the home page and search results; and the
gunicorn the API benchmark (bench/api.py) serves its holds from."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from .database import ROUTES

BASE_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


@dataclass
class WebResult:
    rss_mb: float
    requests: int
    non_200: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def collect_static() -> None:
    """With DEBUG off pages need the manifest static storage filled (var/staticfiles)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def search_paths(days_ahead: int = 3) -> list[str]:
    """A results page per bench route, for a day the bench has flights on."""
    from django.utils import timezone

    day = (timezone.now() + timedelta(days=days_ahead)).date().isoformat()
    paths = []
    for origin, destination in ROUTES:
        query = {"origin": origin, "destination": destination, "date": day, "window": "any", "passengers": 1}
        paths.append(f"/?{urlencode(query)}")
    return paths


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn() -> str:
    beside_python = Path(sys.executable).parent / "gunicorn"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("gunicorn")
    if not found:
        raise RuntimeError("gunicorn is not installed")
    return found


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    if children_file.exists():
        return [int(child) for child in children_file.read_text().split()]
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _worker_pid(master_pid: int) -> int:
    children = _children(master_pid)
    if len(children) != 1:
        raise RuntimeError(f"Expected one gunicorn worker under {master_pid}, found {children}")
    return children[0]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (0 for one that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"No VmRSS for process {pid}")


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path, probe: str = "/") -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            status, body = _get(port, probe)
        except OSError:
            time.sleep(0.2)
            continue
        if status != 200:
            raise RuntimeError(
                f"{probe} answered {status}, not 200:\n{body[:1500].decode(errors='replace')}\n"
                f"gunicorn log:\n{log.read_text()[-3000:]}"
            )
        return
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@dataclass
class Server:
    port: int
    pid: int  # the gunicorn master (its own session: the workers are in its process group)
    log: Path

    def worker_pids(self) -> list[int]:
        return _children(self.pid)


@contextmanager
def gunicorn(*, database_url: str, workers: int = 1, env: dict | None = None, probe: str = "/"):
    """gunicorn (sync workers) on a free loopback port with the bench database, DEBUG off,
    until the block ends; `env` adds to the environment. Yields a Server once `probe` answers 200."""
    port = _free_port()
    environment = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "CACHE_KEY_PREFIX": "skyway-bench",
        **(env or {}),
    }
    command = [_gunicorn(), "booking_site.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    with tempfile.TemporaryDirectory(prefix="bench-gunicorn-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [*command, "--log-level", "warning"],
                cwd=BASE_DIR,
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_until_serving(port, process, log, probe)
                yield Server(port=port, pid=process.pid, log=log)
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)  # its own session: master and workers
                        process.wait()


def measure_worker_rss(*, database_url: str, requests: int = 1000) -> WebResult:
    """Start gunicorn with one sync worker on a free loopback port, GET a mix of the home page
    and search results `requests` times, then read the worker's resident memory (VmRSS)."""
    paths = search_paths()
    with gunicorn(database_url=database_url, workers=1) as server:
        port = server.port
        status, body = _get(port, paths[0])
        if status != 200 or b"BX" not in body:
            print(f"  note: {paths[0]} answered {status} without a bench flight in it", flush=True)
        non_200 = 0
        began = time.perf_counter()
        for index in range(requests):
            # Every other request is the home page; the rest cycle through the routes.
            status, _ = _get(port, paths[index // 2 % len(paths)] if index % 2 else "/")
            non_200 += status != 200
        seconds = time.perf_counter() - began
        rss = _rss_mb(_worker_pid(server.pid))
    return WebResult(rss_mb=rss, requests=requests, non_200=non_200, seconds=seconds)
