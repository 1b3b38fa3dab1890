"""``flask --app api keys ...`` and ``flask --app api db ...`` commands."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import func, select

from api.db.models import ApiKey, Tenant, User
from api.keys import SCOPES, create_key

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


@lru_cache(maxsize=1)
def alembic_head() -> str:
    """The migration revision this code needs (readiness compares the database's)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def register(app: Flask) -> None:
    @app.cli.group()
    def keys():
        """Manage API keys (one tenant per Chamber)."""

    @keys.command("create")
    @click.option("--tenant", required=True, help='tenant name, e.g. "CCIAA Prato"')
    @click.option("--scope", type=click.Choice(SCOPES), default="write", show_default=True)
    def keys_create(tenant, scope):
        """Create a key; it is printed once and stored only hashed."""
        with current_app.extensions["db_sessions"]() as s:
            key, row = create_key(s, tenant, scope)
        click.echo(key)
        click.echo(f"tenant {tenant!r}, scope {scope}, prefix {row.prefix} (store the key now: it is not shown again)",
                   err=True)

    @keys.command("list")
    def keys_list():
        """List keys (prefix, tenant, scope, status); never the keys themselves."""
        with current_app.extensions["db_sessions"]() as s:
            for k, t in s.execute(select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id)
                                  .order_by(ApiKey.id)):
                status = "revoked" if k.revoked_at else "active"
                click.echo(f"{k.prefix}\t{t.name}\t{k.scope}\t{status}\t{k.created_at:%Y-%m-%d}")

    @keys.command("revoke")
    @click.argument("prefix")
    def keys_revoke(prefix):
        """Revoke the key with this prefix."""
        with current_app.extensions["db_sessions"]() as s:
            k = s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
            if k is None:
                raise click.ClickException(f"no key with prefix {prefix}")
            k.revoked_at = datetime.now(timezone.utc)
            s.commit()
        click.echo(f"revoked {prefix}")

    @app.cli.command("welcome")
    def welcome():
        """How to create the first web user and API key, when the instance has none (`make run` calls it)."""
        with current_app.extensions["db_sessions"]() as s:
            users = s.scalar(select(func.count()).select_from(User))
            keys = s.scalar(select(func.count()).select_from(ApiKey))
        if users and keys:
            return
        flask = "flask" if os.environ.get("VIRTUAL_ENV") else ".venv/bin/flask"
        lines = ["This instance has no " + " and no ".join(
            w for w, n in (("web user", users), ("API key", keys)) if not n) + " yet. There is no default "
            "account or password: create them (each secret is printed once and stored only hashed):"]
        if not users:
            lines.append(f'  {flask} --app api users create --tenant "CCIAA Prato" '
                         "--email staff@cciaa-prato.example --role staff")
        if not keys:
            lines.append(f'  {flask} --app api keys create --tenant "CCIAA Prato" --scope write')
        bind = os.environ.get("BIND", "127.0.0.1:8000")
        lines.append(f"then sign in at http://{bind}/ and call the API at http://{bind}/api/v1 "
                     "with the header X-API-Key: <key>.")
        click.echo("\n".join(lines))

    @app.cli.group()
    def db():
        """Database migrations (Alembic)."""

    @db.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision):
        command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
        click.echo(f"database at {revision}")

    @db.command("downgrade")
    @click.argument("revision", default="-1")
    def db_downgrade(revision):
        command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
        click.echo(f"database downgraded to {revision}")

    @app.cli.group()
    def model():
        """Model versions: sign a manifest for MODEL_SIGNING_KEY."""

    @model.command("sign")
    @click.argument("version")
    def model_sign(version):
        """Write VERSION/manifest.sig = HMAC-SHA256(manifest.json) under MODEL_SIGNING_KEY."""
        from api.model_holder import SIGNATURE_FILE, manifest_signature
        from recommender.model.artifact import _models_dir, verify
        key = current_app.config.get("MODEL_SIGNING_KEY")
        if not key:
            raise click.ClickException("set MODEL_SIGNING_KEY first")
        vdir = _models_dir(current_app.config.get("MODELS_DIR")) / version
        verify(vdir)  # sign only what verifies now
        (vdir / SIGNATURE_FILE).write_text(manifest_signature(key, (vdir / "manifest.json").read_bytes()) + "\n")
        click.echo(f"signed {version}")
