"""One verified model per worker, switched without restart when CURRENT changes.

A request calls :meth:`ModelHolder.get` once and uses that object throughout,
so it never mixes versions. At most every ``check_seconds`` the holder reads
models/CURRENT; if it names a new version, that version is loaded and
verified, then swapped in by a single reference assignment. A version that
fails its checksum is logged and refused: the old one keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time

from recommender.errors import ModelError
from recommender.model.artifact import current_version, load_version
from recommender.recommend import Recommender

log = logging.getLogger(__name__)


class ModelHolder:
    def __init__(self, models_dir=None, check_seconds: float = 5.0):
        self.models_dir = models_dir
        self.check_seconds = check_seconds
        self._recommender: Recommender | None = None
        self._lock = threading.Lock()
        self._last_check = 0.0
        self.last_error: str | None = None
        self._refused: set[str] = set()

    def _load(self, version: str) -> Recommender:
        return Recommender(load_version(version, self.models_dir))

    def get(self) -> Recommender:
        """The serving recommender (loads it on first use). Raises ModelError if none can be loaded."""
        rec = self._recommender
        now = time.monotonic()
        if rec is None or now - self._last_check >= self.check_seconds:
            self.refresh()
            rec = self._recommender
        if rec is None:
            raise ModelError(self.last_error or "no model loaded")
        return rec

    def refresh(self) -> None:
        """Swap to the version named by CURRENT if it changed and verifies."""
        if not self._lock.acquire(blocking=self._recommender is None):
            return  # another thread is already checking; keep serving
        try:
            self._last_check = time.monotonic()
            try:
                version = current_version(self.models_dir)
            except ModelError as exc:
                self.last_error = str(exc)
                return
            if self._recommender is not None and self._recommender.model.version == version:
                return
            if version in self._refused:
                return
            try:
                self._recommender = self._load(version)
                self.last_error = None
                log.info("serving model %s", version)
            except ModelError as exc:
                self._refused.add(version)
                self.last_error = str(exc)
                log.error("model %s refused, keeping %s: %s", version,
                          self._recommender.model.version if self._recommender else None, exc)
        finally:
            self._lock.release()

    @property
    def version(self) -> str | None:
        return self._recommender.model.version if self._recommender else None
