"""Which model version serves: the folder of versions and its CURRENT pointer.
A module of its own (no LightGBM, no pandas) so a process that only needs the
version's name, such as registry scoring's reader, stays small."""

from __future__ import annotations

from pathlib import Path

from recommender import config
from recommender.errors import ModelError

CURRENT_FILE = "CURRENT"


def models_dir(path=None) -> Path:
    return Path(path or config.models_dir())


def current_version(models_dir_=None) -> str:
    """The version named by models/CURRENT (cheap: one small file read)."""
    path = models_dir(models_dir_) / CURRENT_FILE
    try:
        version = path.read_text().strip()
    except FileNotFoundError:
        raise ModelError(f"{path} not found: no model has been promoted (run python -m recommender.train)") from None
    if not version or "/" in version or version.startswith("."):
        raise ModelError(f"{path} does not name a valid version: {version!r}")
    return version
