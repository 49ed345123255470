"""The launcher behind `make run` / `make test` (no Django, no database needed)."""

import json
import os
import subprocess
import sys

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
