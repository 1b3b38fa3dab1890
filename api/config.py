"""Layered configuration: these defaults, then ``instance/config.py`` if
present, then environment variables, then the test config passed to
``create_app``."""

import os

ENV_KEYS = ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "API_RATE_LIMIT", "MODELS_DIR", "MODEL_CHECK_SECONDS",
            "MAX_CONTENT_LENGTH", "BATCH_MAX_ROWS",
            # hardening (issue #10)
            "AUTH_FAILURE_RATE_LIMIT", "BATCH_ROWS_PER_HIT", "API_KEY_CACHE_SECONDS", "HISTORY_MAX_PER_FIRM",
            "MODEL_SIGNING_KEY", "TRUSTED_PROXIES")
INT_KEYS = {"MODEL_CHECK_SECONDS", "MAX_CONTENT_LENGTH", "BATCH_MAX_ROWS", "BATCH_ROWS_PER_HIT",
            "API_KEY_CACHE_SECONDS", "HISTORY_MAX_PER_FIRM", "TRUSTED_PROXIES"}


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
    API_TITLE = "Export recommender API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/static/swagger-ui/"  # vendored files, no CDN
    JSON_SORT_KEYS = False


def from_env() -> dict:
    out = {}
    for key in ENV_KEYS:
        if key in os.environ:
            value = os.environ[key]
            out[key] = int(value) if key in INT_KEYS else value
    return out
