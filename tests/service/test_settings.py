"""Settings are validated at start (issue #21, item 5): a wrong value stops
create_app() and the job worker with the setting's name, the value and what
is allowed; text from the environment becomes numbers and booleans."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from api.config import ConfigError, DefaultConfig
from api.jobs.worker import Worker

ROOT = Path(__file__).resolve().parents[2]


def _app(tmp_path, **config):
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", **config})


@pytest.mark.parametrize("key,value,allowed", [
    ("JOB_LEASE_SECONDS", "abc", "JOB_LEASE_SECONDS must be a whole number of seconds, 1 or more"),
    ("API_RATE_LIMIT", "lots", "API_RATE_LIMIT must be a rate limit such as '120 per minute'"),
    ("JOB_LEASE_SECONDS", "-5", "JOB_LEASE_SECONDS must be a whole number of seconds, 1 or more"),
    ("SESSION_COOKIE_SECURE", "maybe", "SESSION_COOKIE_SECURE must be a boolean"),
    ("RATELIMIT_STORAGE_URI", "redis:/localhost", "RATELIMIT_STORAGE_URI must be a storage URI"),
    ("JOB_POLL_SECONDS", "0", "JOB_POLL_SECONDS must be a number of seconds above 0"),
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text"),
])
def test_a_wrong_setting_stops_the_start_naming_it(tmp_path, monkeypatch, key, value, allowed):
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as exc:
        _app(tmp_path)
    message = str(exc.value)
    assert f"{key}={value!r}" in message and allowed in message


def test_every_wrong_setting_is_named_at_once(tmp_path):
    with pytest.raises(ConfigError) as exc:
        _app(tmp_path, JOB_MAX_ROWS=0, LOGIN_RATE_LIMIT="often", BATCH_MAX_ROWS="1e3")
    assert all(f"{k}=" in str(exc.value) for k in ("JOB_MAX_ROWS", "LOGIN_RATE_LIMIT", "BATCH_MAX_ROWS"))


def test_settings_from_the_environment_are_converted_and_defaults_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("JOB_LEASE_SECONDS", " 30 ")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "on")
    monkeypatch.setenv("JOB_RESULT_DAYS", "0.5")
    monkeypatch.setenv("MODELS_DIR", "")
    app = _app(tmp_path)
    assert app.config["JOB_LEASE_SECONDS"] == 30 and isinstance(app.config["JOB_LEASE_SECONDS"], int)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["JOB_RESULT_DAYS"] == 0.5
    assert app.config["MODELS_DIR"] is None
    for key in ("API_RATE_LIMIT", "JOB_MAX_ROWS", "JOB_POLL_SECONDS", "EXPLORATION_SHARE_API", "TRUSTED_PROXIES"):
        assert app.config[key] == getattr(DefaultConfig, key)


def test_the_job_worker_checks_its_settings(tmp_path):
    app = _app(tmp_path)
    app.config["JOB_LEASE_SECONDS"] = -5
    with pytest.raises(ConfigError, match=r"JOB_LEASE_SECONDS=-5 is not allowed"):
        Worker(app)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "JOB_LEASE_SECONDS": "abc"}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "api", "jobs", "worker", "--once"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "JOB_LEASE_SECONDS='abc' is not allowed" in run.stderr
