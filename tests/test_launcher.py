"""The launcher behind `make run` / `make test` (no Django, no database needed)."""

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys

import pytest

from booking_site import launcher


def test_prune_dead_holders_keeps_live_pids_and_drops_dead_ones(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([os.getpid(), dead.pid]))
    launcher._prune_dead_holders(handles)
    assert json.loads(handles.read_text()) == [os.getpid()]


def test_dotenv_values_count_as_set_but_the_shell_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "# comment\nLAUNCHER_TEST_A=from-file\nLAUNCHER_TEST_B='quoted'\nLAUNCHER_TEST_EMPTY=\n"
    )
    monkeypatch.setattr(launcher, "BASE_DIR", tmp_path)
    monkeypatch.setenv("LAUNCHER_TEST_B", "from-shell")
    monkeypatch.delenv("LAUNCHER_TEST_A", raising=False)
    monkeypatch.delenv("LAUNCHER_TEST_EMPTY", raising=False)
    launcher._load_dotenv()
    assert os.environ["LAUNCHER_TEST_A"] == "from-file"
    assert os.environ["LAUNCHER_TEST_B"] == "from-shell"
    assert "LAUNCHER_TEST_EMPTY" not in os.environ
    monkeypatch.delenv("LAUNCHER_TEST_A")


# `make run`: the port before anything else, the banner once the site answers, the admin's
# one-time password never lost, short output.

BASE_DIR = launcher.BASE_DIR
# What `make run` checks the port with: the system's python3, not .venv's (there may be none yet).
PLAIN_PYTHON = shutil.which("python3") or sys.executable


@pytest.fixture
def busy_port():
    """A port something listens on, as a second `make run` would find it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_busy_port_is_refused_in_words_with_a_free_one_to_use_instead(busy_port):
    problem = launcher.port_problem(str(busy_port))
    assert f"Port {busy_port} is already in use" in problem
    spare = int(re.search(r"make run PORT=(\d+)", problem).group(1))
    assert spare != busy_port and launcher.port_is_free(spare)


def test_a_free_port_has_no_problem():
    assert launcher.port_problem(str(_free_port())) is None


@pytest.mark.parametrize("text", ["abc", "0", "70000", "-1", "80.5"])
def test_a_malformed_port_is_refused_in_words(text):
    assert launcher.port_problem(text) == (
        f"PORT must be a number from 1 to 65535, not {text!r}. Example: make run PORT=8001"
    )


def test_the_port_check_runs_on_a_plain_python_before_anything_is_installed(busy_port):
    """`make run` asks a python3 with no .venv and no Django (-I: not even the project's
    directory on its path); a busy port stops it there."""
    checked = subprocess.run(
        [PLAIN_PYTHON, "-I", "booking_site/launcher.py", "check-port"],
        cwd=BASE_DIR,
        env={**os.environ, "PORT": str(busy_port)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 1
    assert f"Port {busy_port} is already in use" in checked.stderr
    free = subprocess.run(
        [PLAIN_PYTHON, "-I", "booking_site/launcher.py", "check-port"],
        cwd=BASE_DIR,
        env={**os.environ, "PORT": str(_free_port())},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (free.returncode, free.stderr) == (0, "")


def test_make_run_checks_the_port_before_it_installs_or_migrates():
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    dry_run = subprocess.run(
        [make, "-n", "--no-print-directory", "run"], cwd=BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert dry_run.returncode == 0, dry_run.stderr
    commands = dry_run.stdout.splitlines()
    assert "check-port" in commands[0]
    assert commands[-1].endswith("-m booking_site.launcher run")


def test_the_run_verb_refuses_a_busy_port_before_starting_anything(busy_port, monkeypatch, capsys):
    started = []
    monkeypatch.setattr(launcher, "run", started.append)
    monkeypatch.setenv("PORT", str(busy_port))
    assert launcher.main(["run"]) == 1
    assert started == []
    assert f"Port {busy_port} is already in use" in capsys.readouterr().err


def test_the_banner_waits_until_the_server_accepts_connections():
    port = _free_port()
    # A stand-in web server that starts listening after a second, as runserver does after its checks.
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, time; time.sleep(1); s = socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            f"s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(30)",
        ]
    )
    try:
        assert not launcher._accepts_connections(port)
        assert launcher.wait_until_serving(port, [server], timeout=20)
        assert launcher._accepts_connections(port)
    finally:
        server.kill()
        server.wait()


def test_no_banner_when_a_process_exits_before_the_site_answers():
    port = _free_port()
    crashed = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    crashed.wait()
    assert launcher.wait_until_serving(port, [crashed], timeout=20) is False


def test_the_admin_password_is_saved_for_the_owner_only_and_read_again(tmp_path):
    path = tmp_path / "var" / "admin-password"
    password = launcher.saved_admin_password(path)
    assert len(password) >= 16
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert launcher.saved_admin_password(path) == password  # the next run prints the same one
    path.write_text("")
    assert launcher.saved_admin_password(path) not in ("", password)


def test_the_banner_prints_a_saved_admin_password_that_works():
    line = launcher.admin_login_text(email="admin@example.com", password="s3cret-pw", works=True)
    assert line == "admin@example.com / s3cret-pw   (kept in var/admin-password)"
    text = launcher.banner(8000, line)
    assert "http://localhost:8000/" in text and "admin@example.com / s3cret-pw" in text


def test_an_admin_made_on_an_earlier_run_is_said_so_with_how_to_set_a_new_password():
    manage = launcher.manage_command(embedded_database=False)
    line = launcher.admin_login_text(email="admin@example.com", password="not-its-password", works=False, manage=manage)
    assert "not-its-password" not in line
    assert "earlier run" in line
    assert line.endswith(f"Set a new one: {manage} changepassword admin@example.com")
    assert re.fullmatch(r"\S*python\S* manage\.py", manage)


def test_a_new_admin_password_for_the_embedded_database_is_set_through_the_launcher():
    manage = launcher.manage_command(embedded_database=True)
    assert re.fullmatch(r"(\S*python\S*) -m booking_site\.launcher exec -- \1 manage\.py", manage)


def test_a_chosen_admin_password_is_never_printed():
    line = launcher.admin_login_text(email="ops@example.test", password=None, works=True)
    assert line == "ops@example.test / the password in ADMIN_PASSWORD"


@pytest.mark.django_db
def test_admin_password_works_only_for_the_superusers_own_password():
    from accounts.tests.factories import UserFactory

    UserFactory(email="boss@example.test", password="right-password-1", is_staff=True, is_superuser=True)
    UserFactory(email="plain@example.test", password="right-password-1")
    assert launcher.admin_password_works("boss@example.test", "right-password-1")
    assert launcher.admin_password_works("BOSS@example.test", "right-password-1")
    assert not launcher.admin_password_works("boss@example.test", "wrong-password")
    assert not launcher.admin_password_works("plain@example.test", "right-password-1")  # not a superuser
    assert not launcher.admin_password_works("nobody@example.test", "right-password-1")
