"""Layered configuration: these defaults, then ``instance/config.py`` if
present, then environment variables, then the test config passed to
``create_app``."""

import os

ENV_KEYS = ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "API_RATE_LIMIT", "MODELS_DIR", "MODEL_CHECK_SECONDS",
            "MAX_CONTENT_LENGTH", "BATCH_MAX_ROWS")


class DefaultConfig:
    DATABASE_URL = None                     # default: sqlite:///<instance>/recommender.db
    MODELS_DIR = None                       # default: models/ of the project
    MODEL_CHECK_SECONDS = 5                 # how often a worker looks at models/CURRENT
    API_RATE_LIMIT = "120 per minute"       # per API key
    # memory:// counts per process: N gunicorn workers allow N x the limit.
    # Multi-worker deployments should point this at a shared store (redis://...).
    RATELIMIT_STORAGE_URI = "memory://"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024    # bytes; larger bodies get 413
    BATCH_MAX_ROWS = 1000
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
            out[key] = int(value) if key in ("MODEL_CHECK_SECONDS", "MAX_CONTENT_LENGTH", "BATCH_MAX_ROWS") else value
    return out
