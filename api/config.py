"""Layered configuration: these defaults, then ``instance/config.py`` if
present, then environment variables, then the test config passed to
``create_app``.

Every setting the service reads is declared once in :class:`Settings` (a
pydantic model: type, allowed range, what it is for). :func:`check` validates
the merged configuration in ``create_app()`` (and the job worker checks its
app again): a wrong value stops the start with :class:`ConfigError` naming
the setting, the value and what is allowed. The README's settings table
lists the same settings.
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from recommender.outcomes.exploration import MAX_SHARE  # at most 3 of 10 slots explore

ENV_KEYS = ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "API_RATE_LIMIT", "MODELS_DIR", "MODEL_CHECK_SECONDS",
            "MAX_CONTENT_LENGTH", "BATCH_MAX_ROWS",
            # hardening (issue #10)
            "AUTH_FAILURE_RATE_LIMIT", "BATCH_ROWS_PER_HIT", "API_KEY_CACHE_SECONDS", "HISTORY_MAX_PER_FIRM",
            "MODEL_SIGNING_KEY", "TRUSTED_PROXIES",
            # web app (issue #9)
            "SECRET_KEY", "SESSION_COOKIE_SECURE", "LOGIN_RATE_LIMIT",
            "LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT",
            # learning from outcomes (issue #11)
            "EXPLORATION_SHARE_API", "EXPLORATION_SHARE_WEB",
            # registry scoring jobs (issue #12)
            "JOBS_DIR", "JOB_MAX_BYTES", "JOB_MAX_ROWS", "JOB_MAX_CONCURRENT", "JOB_RESULT_DAYS",
            "JOB_LEASE_SECONDS", "JOB_POLL_SECONDS", "JOB_CHUNK_ROWS", "JOB_PROCESSES", "JOB_MAX_ATTEMPTS",
            # structured logs (issue #21)
            "LOG_FORMAT", "LOG_LEVEL")
EXPLORATION_KEYS = ("EXPLORATION_SHARE_API", "EXPLORATION_SHARE_WEB")


class ConfigError(ValueError):
    """A configuration value the service cannot start with."""


class DefaultConfig:
    DATABASE_URL = None                     # default: sqlite:///<instance>/recommender.db
    MODELS_DIR = None                       # default: models/ of the project
    MODEL_CHECK_SECONDS = 5                 # how often a worker looks at models/CURRENT
    API_RATE_LIMIT = "120 per minute"       # per tenant, counted only for verified keys
    AUTH_FAILURE_RATE_LIMIT = "30 per minute"  # per client address, requests without a valid key
    BATCH_ROWS_PER_HIT = 10                 # a batch of N rows costs ceil(N / 10) hits of API_RATE_LIMIT
    API_KEY_CACHE_SECONDS = 10              # a revoked key stops working within this many seconds
    # memory:// counts per process: N gunicorn workers allow N x the limit.
    # Multi-worker deployments should point this at a shared store (redis://...).
    RATELIMIT_STORAGE_URI = "memory://"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024    # bytes; larger bodies get 413
    BATCH_MAX_ROWS = 1000
    HISTORY_MAX_PER_FIRM = 20               # stored recommendations kept per firm (oldest dropped)
    TRUSTED_PROXIES = 0                     # 1 behind deploy/nginx.conf: client address from X-Forwarded-For
    MODEL_SIGNING_KEY = None                # if set, a model version needs manifest.sig = HMAC-SHA256(manifest.json)
    # learning from outcomes: share of the slots given to markets whose outcomes are still
    # uncertain (0 to 0.3). Only where the impression is logged: POST /firms/{id}/recommendations
    # (a request may override it with ?explore=) and the web app's recommendation page.
    EXPLORATION_SHARE_API = 0.1             # 1 of 10 slots
    EXPLORATION_SHARE_WEB = 0.0             # off on the web page

    # registry scoring jobs (api/jobs): files under JOBS_DIR, the queue in the database
    JOBS_DIR = None                         # default: <instance>/jobs; shared storage when workers run on several hosts
    JOB_MAX_BYTES = 200 * 1024 * 1024       # per uploaded file (413 beyond)
    JOB_MAX_ROWS = 500_000                  # data rows per file (413 beyond)
    JOB_MAX_CONCURRENT = 2                  # queued + running jobs per tenant (429 beyond)
    JOB_RESULT_DAYS = 7                     # results and files deleted this long after a job ends (then 410)
    JOB_LEASE_SECONDS = 60                  # a running job whose worker stops renewing this long is taken over
    JOB_POLL_SECONDS = 1.0                  # an idle worker looks for work this often
    JOB_CHUNK_ROWS = 20_000                 # rows committed at a time: what a killed worker can lose and redo
    JOB_PROCESSES = 1                       # scoring processes per job worker (start more workers to scale)
    JOB_MAX_ATTEMPTS = 3                    # a job whose workers died this many times fails
    LOG_FORMAT = "json"                     # stderr: one JSON object per line (api/logs.py), or "text"
    LOG_LEVEL = "INFO"
    API_TITLE = "Export recommender API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"  # vendored files, no CDN
    JSON_SORT_KEYS = False

    # web app (api/web, api/auth): signed session cookie, CSRF on every form
    SECRET_KEY = None                       # default: generated once into instance/secret_key
    # Secure cookies are only sent over https: turn on (SESSION_COOKIE_SECURE=1)
    # wherever the app is served over TLS; off so http://127.0.0.1 dev works.
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600   # seconds: one working day
    # failed sign-ins (wrong e-mail or password) only; a correct password is refused only
    # once one of these was reached. Per account from one address, per account from any
    # address, and per address (generous: a Chamber's office may share one NAT address)
    LOGIN_RATE_LIMIT = "10 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "30 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "200 per hour"
    WTF_CSRF_CHECK_DEFAULT = False          # the web blueprints check CSRF; the API uses keys instead
    WTF_CSRF_TIME_LIMIT = None              # a token lives as long as the session
    LANGUAGES = ("it", "en")                # the first is the default
    BABEL_DEFAULT_LOCALE = "it"
    BABEL_DEFAULT_TIMEZONE = "Europe/Rome"


def from_env() -> dict:
    """The settings found in the environment, as text: :func:`check` converts and validates them."""
    return {key: os.environ[key] for key in ENV_KEYS if key in os.environ}


# -- the settings schema -------------------------------------------------------------------------

def _rate_limit(value: str) -> str:
    from limits import parse_many  # flask-limiter's own parser: what it would fail on at the first request
    if not parse_many(value):
        raise ValueError("no rate limit")
    return value


def _database_url(value: str | None) -> str | None:
    if value:
        from sqlalchemy.engine import make_url
        make_url(value)  # ArgumentError (a ValueError) for a malformed URL
    return value


def _storage_uri(value: str) -> str:
    from limits.storage import SCHEMES
    if value.split("://", 1)[0] not in SCHEMES or "://" not in value:
        raise ValueError("unknown storage")
    return value


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _share(value):
    if isinstance(value, bool):
        raise ValueError("not a number")
    return value.strip() if isinstance(value, str) else value


NonNegative = Annotated[int, Field(ge=0)]
SecondsOrZero = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[int, Field(ge=1)]
RateLimit = Annotated[str, AfterValidator(_rate_limit)]
Share = Annotated[float, BeforeValidator(_share), Field(ge=0.0, le=MAX_SHARE, allow_inf_nan=False)]

#: what each setting accepts, in words (the error message and the README's table)
ALLOWED = {
    "DATABASE_URL": "an SQLAlchemy database URL (sqlite:///..., postgresql://...) or empty for instance/",
    "RATELIMIT_STORAGE_URI": "a storage URI of the limits library (memory://, redis://host:6379/0, ...)",
    "API_RATE_LIMIT": "a rate limit such as '120 per minute' or '10/second; 1000/day'",
    "AUTH_FAILURE_RATE_LIMIT": "a rate limit such as '30 per minute'",
    "LOGIN_RATE_LIMIT": "a rate limit such as '10 per minute'",
    "LOGIN_ACCOUNT_RATE_LIMIT": "a rate limit such as '30 per hour'",
    "LOGIN_ADDRESS_RATE_LIMIT": "a rate limit such as '200 per hour'",
    "MODEL_CHECK_SECONDS": "a number of seconds, 0 or more",
    "MAX_CONTENT_LENGTH": "a whole number of bytes, 1 or more",
    "BATCH_MAX_ROWS": "a whole number of rows, 1 or more",
    "BATCH_ROWS_PER_HIT": "a whole number of rows, 1 or more",
    "API_KEY_CACHE_SECONDS": "a number of seconds, 0 or more",
    "HISTORY_MAX_PER_FIRM": "a whole number, 1 or more",
    "TRUSTED_PROXIES": "a whole number of proxies in front, 0 or more",
    "MODELS_DIR": "a folder, or empty for models/ of the project",
    "MODEL_SIGNING_KEY": "a secret text, or empty for unsigned models",
    "SECRET_KEY": "a secret text, or empty for instance/secret_key",
    "SESSION_COOKIE_SECURE": "a boolean: 1/0, true/false, yes/no, on/off",
    "EXPLORATION_SHARE_API": f"a number from 0 to {MAX_SHARE}",
    "EXPLORATION_SHARE_WEB": f"a number from 0 to {MAX_SHARE}",
    "JOBS_DIR": "a folder, or empty for instance/jobs",
    "JOB_MAX_BYTES": "a whole number of bytes, 1 or more",
    "JOB_MAX_ROWS": "a whole number of rows, 1 or more",
    "JOB_MAX_CONCURRENT": "a whole number of jobs, 1 or more",
    "JOB_RESULT_DAYS": "a number of days above 0",
    "JOB_LEASE_SECONDS": "a whole number of seconds, 1 or more",
    "JOB_POLL_SECONDS": "a number of seconds above 0",
    "JOB_CHUNK_ROWS": "a whole number of rows, 1 or more",
    "JOB_PROCESSES": "a whole number of processes, 1 or more",
    "JOB_MAX_ATTEMPTS": "a whole number of attempts, 1 or more",
    "LOG_FORMAT": "json or text",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
}


class Settings(BaseModel):
    """The service's settings (see DefaultConfig for the defaults and ALLOWED for the words)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    DATABASE_URL: Annotated[str | None, AfterValidator(_database_url)] = None
    RATELIMIT_STORAGE_URI: Annotated[str, AfterValidator(_storage_uri)]
    API_RATE_LIMIT: RateLimit
    AUTH_FAILURE_RATE_LIMIT: RateLimit
    LOGIN_RATE_LIMIT: RateLimit
    LOGIN_ACCOUNT_RATE_LIMIT: RateLimit
    LOGIN_ADDRESS_RATE_LIMIT: RateLimit
    MODEL_CHECK_SECONDS: SecondsOrZero
    MAX_CONTENT_LENGTH: Positive
    BATCH_MAX_ROWS: Positive
    BATCH_ROWS_PER_HIT: Positive
    API_KEY_CACHE_SECONDS: SecondsOrZero
    HISTORY_MAX_PER_FIRM: Positive
    TRUSTED_PROXIES: NonNegative
    MODELS_DIR: str | None = None
    MODEL_SIGNING_KEY: str | None = None
    SECRET_KEY: str | None = None
    SESSION_COOKIE_SECURE: bool
    EXPLORATION_SHARE_API: Share
    EXPLORATION_SHARE_WEB: Share
    JOBS_DIR: str | None = None
    JOB_MAX_BYTES: Positive
    JOB_MAX_ROWS: Positive
    JOB_MAX_CONCURRENT: Positive
    JOB_RESULT_DAYS: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    JOB_LEASE_SECONDS: Positive
    JOB_POLL_SECONDS: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    JOB_CHUNK_ROWS: Positive
    JOB_PROCESSES: Positive
    JOB_MAX_ATTEMPTS: Positive
    LOG_FORMAT: Literal["json", "text"]
    LOG_LEVEL: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)]


if set(Settings.model_fields) != set(ALLOWED) or set(ENV_KEYS) - set(ALLOWED):
    raise RuntimeError("api/config.py: Settings, ALLOWED and ENV_KEYS must name the same settings")


def check(config) -> None:
    """Validate and normalise every setting of ``config`` (a Flask config, defaults merged):
    values read as text (environment) become numbers and booleans. Raises :class:`ConfigError`
    naming each wrong setting, its value and what is allowed."""
    values = {key: (None if config.get(key) == "" and key in _OPTIONAL else config.get(key))
              for key in Settings.model_fields if key in config}
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            key = str(e["loc"][0]) if e["loc"] else "?"
            problems.append(f"{key}={values.get(key)!r} is not allowed ({e['msg']}): {key} must be {ALLOWED[key]}")
        raise ConfigError("invalid settings: " + "; ".join(problems)) from None
    for key in values:
        config[key] = getattr(settings, key)


_OPTIONAL = {"DATABASE_URL", "MODELS_DIR", "MODEL_SIGNING_KEY", "SECRET_KEY", "JOBS_DIR"}


def instance_secret_key(instance_path: str) -> str:
    """The key that signs session cookies when none is configured: made once
    with ``secrets`` and kept in ``instance/secret_key`` (mode 0600), so every
    worker and restart shares it. Created atomically: two workers starting
    together read the same key."""
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # the creator may still be writing
        with open(path) as f:
            key = f.read().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it or set SECRET_KEY")
