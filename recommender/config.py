"""Filesystem locations, each overridable by an environment variable.

``RECOMMENDER_DATA_DIR``   derived tables (committed), default ``<root>/data``
``RECOMMENDER_RAW_DIR``    raw public data, default ``<root>/../shared/data``
``RECOMMENDER_MODELS_DIR`` trained artifacts, default ``<root>/models``
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# the outcome model's learning curves on the labelled simulation (benchmarks/outcome_learning_curves.py)
LEARNING_CURVES_FILE = PROJECT_ROOT / "docs" / "outcome_learning_curves.md"
# ... and the registry evidence's (benchmarks/registry_learning_curves.py)
REGISTRY_CURVES_FILE = PROJECT_ROOT / "docs" / "registry_learning_curves.md"


def data_dir() -> Path:
    return Path(os.environ.get("RECOMMENDER_DATA_DIR", PROJECT_ROOT / "data"))


def raw_dir() -> Path:
    return Path(os.environ.get("RECOMMENDER_RAW_DIR", PROJECT_ROOT.parent / "shared" / "data"))


def models_dir() -> Path:
    return Path(os.environ.get("RECOMMENDER_MODELS_DIR", PROJECT_ROOT / "models"))
