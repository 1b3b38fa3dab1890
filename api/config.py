"""Layered configuration: these defaults, then ``instance/config.py`` if
present, then environment variables, then the test config passed to
``create_app``."""

import os
import secrets
import time

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
            "JOB_LEASE_SECONDS", "JOB_POLL_SECONDS", "JOB_CHUNK_ROWS", "JOB_PROCESSES", "JOB_MAX_ATTEMPTS")
INT_KEYS = {"MODEL_CHECK_SECONDS", "MAX_CONTENT_LENGTH", "BATCH_MAX_ROWS", "BATCH_ROWS_PER_HIT",
            "API_KEY_CACHE_SECONDS", "HISTORY_MAX_PER_FIRM", "TRUSTED_PROXIES",
            "JOB_MAX_BYTES", "JOB_MAX_ROWS", "JOB_MAX_CONCURRENT", "JOB_LEASE_SECONDS", "JOB_CHUNK_ROWS",
            "JOB_PROCESSES", "JOB_MAX_ATTEMPTS"}
FLOAT_KEYS = {"JOB_RESULT_DAYS", "JOB_POLL_SECONDS"}
BOOL_KEYS = {"SESSION_COOKIE_SECURE"}
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
    out = {}
    for key in ENV_KEYS:
        if key in os.environ:
            value = os.environ[key]
            if key in INT_KEYS:
                value = int(value)
            elif key in FLOAT_KEYS:
                value = float(value)
            elif key in BOOL_KEYS:
                value = value.strip().lower() in ("1", "true", "yes", "on")
            out[key] = value
    return out


def exploration_share(key: str, value) -> float:
    """``value`` of an EXPLORATION_SHARE_* setting as a float in [0, 0.3], or ConfigError."""
    try:
        if isinstance(value, bool):
            raise ValueError
        share = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        share = None
    if share is None or not 0.0 <= share <= MAX_SHARE:  # NaN fails the comparison too
        raise ConfigError(f"{key} must be a number from 0 to {MAX_SHARE} "
                          f"(share of the recommended markets used to explore), not {value!r}")
    return share


def check(config) -> None:
    """Validate (and normalise) settings whose mistakes would only show on some requests."""
    for key in EXPLORATION_KEYS:
        config[key] = exploration_share(key, config[key])


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
