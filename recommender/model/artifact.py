"""Model artifacts on disk: one folder per version, a CURRENT pointer.

Layout::

    models/
      CURRENT                  # text: the serving version's folder name
      <version>/
        model.txt              # LightGBM native text format (no pickle: loading runs no code)
        serving_table.parquet  # format 2: Italy's markets per sector and demand type, all scores precomputed
        serving_features.parquet  # format 1: Italy's feature rows, scored at load
        manifest.json          # params, features, sha256 of every file and table, metrics
        MODEL_CARD.md

Loading verifies the sha256 recorded in the manifest for every file and
refuses a mismatch with :class:`ModelError`; CURRENT is switched with
``os.replace`` (atomic), so readers see the old or the new version, never half.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import lightgbm as lgb
import numpy as np
import pandas as pd

from recommender.data.tables import sha256_file
from recommender.errors import ModelError
from recommender.model import current
from recommender.features.market import FEATURES, to_model_matrix

MODEL_FILE = "model.txt"
SERVING_FILE = "serving_features.parquet"     # format 1
SERVING_TABLE_FILE = "serving_table.parquet"  # format 2
OUTCOMES_FILE = "outcomes.parquet"            # optional: the outcome model's fitted cells (recommender.outcomes)
MANIFEST_FILE = "manifest.json"
CARD_FILE = "MODEL_CARD.md"
CURRENT_FILE = current.CURRENT_FILE


@dataclass
class LoadedModel:
    """A verified model version in memory, ready to serve.

    ``serving`` holds Italy's feature rows with the model ``score`` and the
    per-feature contributions (``contrib__<feature>``) computed once at load.
    """

    version: str
    manifest: dict
    booster: lgb.Booster | None  # format 1 only; format 2 serves from its precomputed table
    serving: pd.DataFrame = field(repr=False)
    outcomes: pd.DataFrame | None = field(default=None, repr=False)  # outcome model cells, if learned

    @property
    def format(self) -> int:
        return int(self.manifest.get("format", 1))

    @property
    def categories(self) -> dict[str, list[str]]:
        return self.manifest["categories"]


def _models_dir(models_dir) -> Path:
    return current.models_dir(models_dir)


current_version = current.current_version  # (models_dir=None) -> str; lives in recommender.model.current


def verify(version_dir: Path) -> dict:
    """Read the manifest and check every recorded file hash; return the manifest."""
    mpath = version_dir / MANIFEST_FILE
    try:
        manifest = json.loads(mpath.read_text())
    except FileNotFoundError:
        raise ModelError(f"{mpath} not found") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{mpath} is not valid JSON: {exc}") from None
    for name, expected in manifest.get("files", {}).items():
        path = version_dir / name
        if not path.exists():
            raise ModelError(f"{path} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelError(f"{path} fails its checksum (sha256 {actual[:12]}..., manifest says {expected[:12]}...): refused")
    if MODEL_FILE not in manifest.get("files", {}):
        raise ModelError(f"{mpath} records no checksum for {MODEL_FILE}: refused")
    return manifest


def load_version(version: str, models_dir=None) -> LoadedModel:
    """Load and verify one version.

    Format 2 (market ranking v2) holds Italy's serving table with every
    score and contribution computed at training time: loading reads one
    parquet file and runs no model. Format 1 (mp-2026.11.x) scores Italy's
    feature rows with its LightGBM booster once, here."""
    vdir = _models_dir(models_dir) / version
    if not vdir.is_dir():
        raise ModelError(f"model version folder {vdir} not found")
    manifest = verify(vdir)
    if int(manifest.get("format", 1)) >= 2:
        serving = pd.read_parquet(vdir / SERVING_TABLE_FILE)
        outcomes = None
        if manifest.get("outcomes") is not None:
            if OUTCOMES_FILE not in manifest.get("files", {}):
                raise ModelError(f"{vdir / MANIFEST_FILE} records no checksum for {OUTCOMES_FILE}: refused")
            outcomes = pd.read_parquet(vdir / OUTCOMES_FILE)
        return LoadedModel(version=version, manifest=manifest, booster=None, serving=serving, outcomes=outcomes)
    try:
        booster = lgb.Booster(model_file=str(vdir / MODEL_FILE))
    except lgb.basic.LightGBMError as exc:
        raise ModelError(f"{vdir / MODEL_FILE} cannot be loaded: {exc}") from None
    serving = pd.read_parquet(vdir / SERVING_FILE)
    X = to_model_matrix(serving, manifest["categories"])
    serving = serving.copy()
    serving["score"] = booster.predict(X, num_threads=1)
    # lightgbm types predict() as ndarray | sparse matrix | list of them: a DataFrame gives an ndarray
    contrib = cast(np.ndarray, booster.predict(X, pred_contrib=True, num_threads=1))
    for i, name in enumerate(FEATURES):
        serving[f"contrib__{name}"] = contrib[:, i]
    serving["contrib__bias"] = contrib[:, -1]
    return LoadedModel(version=version, manifest=manifest, booster=booster, serving=serving)


def load_current(models_dir=None) -> LoadedModel:
    """Load the version named by models/CURRENT (verified)."""
    return load_version(current_version(models_dir), models_dir)


def save_version(models_dir, version: str, booster: lgb.Booster, serving: pd.DataFrame,
                 manifest: dict, card: str) -> Path:
    """Write a market model version folder atomically (see :func:`write_version_dir`)."""
    serving_file = SERVING_TABLE_FILE if int(manifest.get("format", 1)) >= 2 else SERVING_FILE

    def write(tmp: Path) -> list[str]:
        booster.save_model(str(tmp / MODEL_FILE))
        serving.to_parquet(tmp / serving_file, index=False)
        (tmp / CARD_FILE).write_text(card)
        return [MODEL_FILE, serving_file, CARD_FILE]

    return write_version_dir(models_dir, version, manifest, write)


def write_version_dir(models_dir, version: str, manifest: dict, write_files) -> Path:
    """Write a version folder atomically: ``write_files(tmp)`` writes its files into a
    temporary folder and returns their names; the manifest gets ``version`` and the
    sha256 of each, then the folder is renamed into place (never half a version)."""
    root = _models_dir(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / version
    if final.exists():
        raise ModelError(f"model version {final} already exists")
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=f".{version}."))
    try:
        names = write_files(tmp)
        manifest = dict(manifest, version=version, files={n: sha256_file(tmp / n) for n in names})
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=_json_default) + "\n")
        os.chmod(tmp, 0o755)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def promote(version: str, models_dir=None) -> None:
    """Point CURRENT at ``version`` atomically (write temp file, os.replace)."""
    root = _models_dir(models_dir)
    verify(root / version)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".CURRENT.")
    with os.fdopen(fd, "w") as fh:
        fh.write(version + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, root / CURRENT_FILE)


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    raise TypeError(f"not JSON serialisable: {type(obj)}")
