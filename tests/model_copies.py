"""A models folder of a test's own: the shipped version copied and promoted, so that a test may
retrain into it (``--outcomes``) without touching the project's ``models/``."""

from __future__ import annotations

import shutil
from pathlib import Path

from recommender.model import artifact


def serving_copy(dest: Path) -> Path:
    """``dest`` holding a copy of the current model version, promoted to its CURRENT; returns ``dest``."""
    base = artifact.current_version()
    shutil.copytree(artifact._models_dir(None) / base, dest / base)
    artifact.promote(base, dest)
    return dest
