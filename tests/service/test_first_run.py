"""`make run` on an empty instance says how to create the first web user and
API key (issue #21, item 7): the exact commands, never a default password."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from alembic import command

from api import create_app
from api.cli import alembic_config

ROOT = Path(__file__).resolve().parents[2]


def test_empty_instance_prints_the_commands_for_the_first_user_and_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'first.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    runner = app.test_cli_runner()

    out = runner.invoke(args=["welcome"]).output
    assert "no web user and no API key" in out and "no default account or password" in out
    users = re.search(r"^\s+(\S+) --app api users create --tenant \"([^\"]+)\" --email (\S+) --role staff$", out, re.M)
    keys = re.search(r"^\s+(\S+) --app api keys create --tenant \"([^\"]+)\" --scope write$", out, re.M)
    assert users and keys and users[1].endswith("flask") and users[2] == keys[2]

    # the printed commands work as printed (the same CLI, arguments parsed the same way)
    created = runner.invoke(args=["users", "create", "--tenant", users[2], "--email", users[3], "--role", "staff"])
    assert created.exit_code == 0, created.output
    out = runner.invoke(args=["welcome"]).output
    assert "no API key" in out and "users create" not in out and "keys create" in out
    created = runner.invoke(args=["keys", "create", "--tenant", keys[2], "--scope", "write"])
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["welcome"]).output == ""   # nothing to say once both exist


def test_make_run_calls_it_after_migrating():
    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    steps = [line for line in plan.splitlines() if "--app api" in line or "gunicorn" in line]
    assert [("db upgrade" in s, "welcome" in s, "gunicorn -c" in s) for s in steps[-3:]] == [
        (True, False, False), (False, True, False), (False, False, True)]
