"""``flask --app api users create|list|reset-password``."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from api.auth.users import ROLES, create_user, reset_password, set_name
from api.db.models import Tenant, User


def register(app: Flask) -> None:
    @app.cli.group()
    def users():
        """Manage web users (borsisti and Chamber staff), one tenant each."""

    @users.command("create")
    @click.option("--tenant", required=True, help='the Chamber, e.g. "CCIAA Prato" (same tenants as API keys)')
    @click.option("--email", required=True)
    @click.option("--role", type=click.Choice(ROLES), default="borsista", show_default=True)
    @click.option("--name", default=None, help='the person\'s name, shown as "prepared by" on the PDF plan')
    def users_create(tenant, email, role, name):
        """Create a user; the password is printed once and stored only hashed."""
        with current_app.extensions["db_sessions"]() as s:
            try:
                password, user = create_user(s, tenant, email, role, name=name)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(password)
        click.echo(f"user {user.email} ({role}) in tenant {tenant!r}: give them this password now, "
                   "it is not shown again", err=True)

    @users.command("list")
    def users_list():
        """E-mail, tenant, role and last sign-in of every user."""
        with current_app.extensions["db_sessions"]() as s:
            for u, t in s.execute(select(User, Tenant).join(Tenant, Tenant.id == User.tenant_id).order_by(User.id)):
                last = f"{u.last_login_at:%Y-%m-%d %H:%M}" if u.last_login_at else "never"
                click.echo(f"{u.email}\t{t.name}\t{u.role}\t{'active' if u.active else 'disabled'}\t{last}")

    @users.command("set-name")
    @click.argument("email")
    @click.argument("name")
    def users_set_name(email, name):
        """Set the user's name (shown as "prepared by" on the PDF plan; "" clears it)."""
        with current_app.extensions["db_sessions"]() as s:
            try:
                user = set_name(s, email, name)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(f"{user.email}: {user.name or '(no name: the e-mail address is shown)'}")

    @users.command("reset-password")
    @click.argument("email")
    def users_reset(email):
        """Give the user a new random password (printed once)."""
        with current_app.extensions["db_sessions"]() as s:
            try:
                click.echo(reset_password(s, email))
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
