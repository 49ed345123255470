"""Production settings: `check --deploy` stays clean and missing secrets stop start-up."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "JWT_SIGNING_KEY",
            "SECURE_SSL_REDIRECT",
            "DATABASE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "a-long-random-production-secret-for-the-check",
        JWT_SIGNING_KEY="y" * 20 + "another-long-random-secret-for-api-tokens",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/booking"),
        ALLOWED_HOSTS="flights.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "JWT_SIGNING_KEY"])
def test_production_start_up_fails_loudly_without_a_required_setting(missing):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "JWT_SIGNING_KEY": "j" * 50,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/booking",
    }
    env.pop(missing)
    result = _manage("check", **env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_every_setting_read_from_the_environment_is_in_env_example():
    settings_source = (ROOT / "booking_site" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.[a-z]+)?\("([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert read, "no env() calls found: the pattern is out of date"
    assert read - documented == set()


def test_api_tokens_are_not_signed_with_the_secret_key():
    result = _manage(
        "check",
        DEBUG="0",
        SECRET_KEY="s" * 50,
        JWT_SIGNING_KEY="s" * 50,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/booking",
    )
    assert result.returncode != 0
    assert "differ from SECRET_KEY" in result.stderr
