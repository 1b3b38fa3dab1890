"""A models folder of a test's own: the shipped version copied and promoted, so that a test may
retrain into it (``--outcomes``) without touching the project's ``models/``; and a service
serving it, for the learning-loop tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic import command
from databases import fresh_database_url

from api import create_app
from api.cli import alembic_config
from api.keys import create_key
from recommender.model import artifact


def serving_copy(dest: Path) -> Path:
    """``dest`` holding a copy of the current model version, promoted to its CURRENT; returns ``dest``."""
    base = artifact.current_version()
    shutil.copytree(artifact._models_dir(None) / base, dest / base)
    artifact.promote(base, dest)
    return dest


def learning_service(tmp_path_factory, name: str, chambers: dict[str, str]):
    """The app on a fresh, migrated database (``name``) and its own serving copy of the model (checked
    on every request, rate limits out of the way), with a write key for each of ``chambers``
    (label -> Chamber). Returns (app, {label: key headers}, database URL, models folder)."""
    models = serving_copy(tmp_path_factory.mktemp(f"models-{name}"))
    url = fresh_database_url(tmp_path_factory, name)
    command.upgrade(alembic_config(url), "head")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "MODELS_DIR": str(models), "MODEL_CHECK_SECONDS": 0,
                      "API_RATE_LIMIT": "100000 per minute"})
    with app.extensions["db_sessions"]() as s:
        keys = {label: {"X-API-Key": create_key(s, chamber, "write")[0]} for label, chamber in chambers.items()}
    return app, keys, url, models
