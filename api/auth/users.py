"""Users of the web app: creation, password hashing and the sign-in check.

Passwords are hashed with werkzeug's scrypt (salted, memory-hard); only the
hash is stored. An unknown e-mail costs the same hash computation as a wrong
password, so response time does not reveal which e-mails exist.

Sessions are revocable server-side: the session cookie carries
``"<user id>:<session version>"`` and the user loader accepts it only while
the version equals ``users.session_version``. Signing out (and a password
reset) increments the version, so a copy of the cookie taken before is
worthless afterwards, on every device.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from api.db.models import Tenant, User, utcnow

ROLES = ("borsista", "staff")
_DUMMY_HASH = generate_password_hash("not-a-password")  # for unknown e-mails (same cost)


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    """What a request knows about the person signed in (Flask-Login's current_user)."""

    id: int
    tenant_id: int
    tenant_name: str
    email: str
    role: str
    locale: str | None
    session_version: int = 0
    name: str | None = None

    @property
    def display_name(self) -> str:
        """How the person is named on what they prepare: their name, else their e-mail address."""
        return self.name or self.email

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the id and the session version."""
        return f"{self.id}:{self.session_version}"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(session, tenant_name: str, email: str, role: str = "borsista",
                password: str | None = None, name: str | None = None) -> tuple[str, User]:
    """Create the user (and the tenant if new); returns ``(password, user)``.
    Without ``password`` a random one is made: show it once, it is stored only hashed.
    ``name``: the person's name, shown on what they prepare (1 to 120 characters)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    name = check_name(name)
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValueError(f"not an e-mail address: {email!r}")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise ValueError(f"a user with e-mail {email} already exists")
    tenant = session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        tenant = Tenant(name=tenant_name)
        session.add(tenant)
        session.flush()
    password = password or secrets.token_urlsafe(12)
    user = User(tenant_id=tenant.id, email=email, password_hash=generate_password_hash(password), role=role,
                active=True, name=name)
    session.add(user)
    session.commit()
    return password, user


def check_name(name: str | None) -> str | None:
    """A user's name as stored: trimmed, 1 to 120 printable characters, or None."""
    if name is None or not name.strip():
        return None
    name = " ".join(name.split())
    if len(name) > 120 or not name.isprintable():
        raise ValueError("name must be 1 to 120 printable characters")
    return name


def set_name(session, email: str, name: str | None) -> User:
    """Set (or, with None, clear) the user's name."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise ValueError(f"no user with e-mail {email}")
    user.name = check_name(name)
    session.commit()
    return user


def reset_password(session, email: str) -> str:
    """A new random password for the user (returned once)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise ValueError(f"no user with e-mail {email}")
    password = secrets.token_urlsafe(12)
    user.password_hash = generate_password_hash(password)
    user.session_version = (user.session_version or 0) + 1  # signs out every session of the old password
    session.commit()
    return password


def end_sessions(session, user_id: int) -> None:
    """Invalidate every session cookie of the user issued so far (sign-out)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version = (user.session_version or 0) + 1
        session.commit()


def authenticate(session, email: str, password: str) -> User | None:
    """The active user with these credentials, else None (and stamps the login time)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    session.commit()
    return user


def load_signed_in(session, user_id: str) -> SignedInUser | None:
    """Flask-Login's user loader: the active user of ``"<id>:<session version>"``,
    with their tenant's name; None if the version is no longer the user's
    (signed out since). A bare ``"<id>"`` (cookies from before versions) is version 0."""
    try:
        uid_text, _sep, version_text = str(user_id).partition(":")
        uid, version = int(uid_text), int(version_text or 0)
    except (TypeError, ValueError):
        return None
    row = session.execute(select(User, Tenant).join(Tenant, Tenant.id == User.tenant_id)
                          .where(User.id == uid, User.active.is_(True))).first()
    if row is None:
        return None
    user, tenant = row
    if (user.session_version or 0) != version:
        return None
    return SignedInUser(user.id, tenant.id, tenant.name, user.email, user.role, user.locale,
                        user.session_version or 0, user.name)


def set_locale(session, user_id: int, locale: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.locale = locale
        session.commit()
