"""Where a job's files live: ``JOBS_DIR/<job id>/`` holds the upload
(``input``), the library's resumable parts while it runs, then
``result.parquet`` and ``errors.parquet``. The folder is the unit of
deletion (retention, a job refused at upload)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import Flask


def jobs_dir(app: Flask) -> Path:
    return Path(app.config.get("JOBS_DIR") or os.path.join(app.instance_path, "jobs"))


@dataclass(frozen=True)
class JobFiles:
    root: Path

    @classmethod
    def of(cls, base: Path, job_id: str) -> "JobFiles":
        return cls(base / job_id)

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def result(self) -> Path:
        return self.root / "result.parquet"

    @property
    def errors(self) -> Path:
        return self.root / "errors.parquet"

    def delete(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
