"""One verified model per worker, switched without restart when CURRENT changes.

Contract:
- A request calls :meth:`ModelHolder.get` once and uses that object
  throughout, so it never mixes versions; ``get()`` never loads a model on
  the request path except the very first one of the worker.
- At most every ``check_seconds`` a request starts a background thread that
  reads models/CURRENT; a new version is loaded and verified in that thread
  and swapped in by one reference assignment. Requests meanwhile keep using
  the old version.
- A version that fails verification is refused and the old one keeps
  serving. It is tried again as soon as its files change (the operator fixed
  the copy) or after ``retry_seconds`` (a transient read error).
- What verification protects against: the manifest's sha256 of every file
  catches a corrupted or partial copy, and a model.txt changed without
  updating the manifest. It does NOT stop someone who can write the version
  folder: they can edit the manifest's checksum too. Against that, set
  ``MODEL_SIGNING_KEY``: then ``manifest.sig`` must hold the hex
  HMAC-SHA256 of manifest.json under that key (``flask --app api model
  sign VERSION``), and the key is kept outside the models folder.
- Error texts (``last_error``) name the version, never server paths.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from pathlib import Path

from recommender.errors import ModelError
from recommender.model.artifact import _models_dir, current_version, load_version
from recommender.recommend import FirmProfile, Recommender

log = logging.getLogger(__name__)
SIGNATURE_FILE = "manifest.sig"


def without_paths(message: str) -> str:
    """Replace absolute paths by their last part: error bodies must not show server paths."""
    return re.sub(r"(?:/[^\s/:'\"]+)+/([^\s/:'\"]+)", r"\1", message)


def manifest_signature(key: str, manifest: bytes) -> str:
    return hmac.new(key.encode(), manifest, hashlib.sha256).hexdigest()


# one typical firm (a Prato textile firm), recommended once when a version is loaded
WARM_UP_PROFILE = {"ateco": "13.92", "province": "PO", "maturity_level": 2}


class ModelHolder:
    def __init__(self, models_dir=None, check_seconds: float = 5.0, signing_key: str | None = None,
                 retry_seconds: float = 60.0):
        self.models_dir = models_dir
        self.check_seconds = check_seconds
        self.signing_key = signing_key
        self.retry_seconds = retry_seconds
        self._recommender: Recommender | None = None
        self._lock = threading.Lock()          # one check or load at a time
        self._last_check = 0.0
        self.last_error: str | None = None
        self._refused: dict[str, tuple[tuple, float]] = {}  # version -> (files fingerprint, when)
        self.on_swap = None  # called with the version each time this worker starts serving one (metrics)

    def _verify_signature(self, version: str) -> None:
        if not self.signing_key:
            return
        vdir = _models_dir(self.models_dir) / version
        try:
            manifest = (vdir / "manifest.json").read_bytes()
            sig = (vdir / SIGNATURE_FILE).read_text().strip()
        except OSError:
            raise ModelError(f"model {version}: manifest signature missing ({SIGNATURE_FILE}): refused") from None
        if not hmac.compare_digest(sig, manifest_signature(self.signing_key, manifest)):
            raise ModelError(f"model {version}: manifest signature invalid: refused")

    def _load(self, version: str) -> Recommender:
        self._verify_signature(version)
        rec = Recommender(load_version(version, self.models_dir))
        # the first recommendation of a process sets up what every later one reuses (~0.3 s):
        # done here, before the version serves, not on a borsista's first page
        rec.recommend(FirmProfile.from_dict(WARM_UP_PROFILE))
        return rec

    def warm(self) -> None:
        """Load and warm the serving model now (a web worker right after it starts), so the first
        request does not wait ~1 s for it. A model that cannot be loaded is left for the requests
        and /readyz to report."""
        try:
            self.get()
        except ModelError:
            pass

    def _fingerprint(self, version: str) -> tuple:
        vdir = Path(_models_dir(self.models_dir)) / version
        try:
            return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in vdir.iterdir()))
        except OSError:
            return ()

    def get(self) -> Recommender:
        """The serving recommender. Raises ModelError if none can be loaded."""
        rec = self._recommender
        if rec is None:
            self.refresh()  # the worker's first model: nothing else to serve meanwhile
            rec = self._recommender
            if rec is None:
                raise ModelError(self.last_error or "no model loaded")
        elif time.monotonic() - self._last_check >= self.check_seconds:
            self._last_check = time.monotonic()
            threading.Thread(target=self.refresh, name="model-check", daemon=True).start()
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
                self.last_error = without_paths(str(exc))
                return
            if self._recommender is not None and self._recommender.model.version == version:
                return
            fingerprint = self._fingerprint(version)
            refused = self._refused.get(version)
            if refused and refused[0] == fingerprint and time.monotonic() - refused[1] < self.retry_seconds:
                return
            try:
                self._recommender = self._load(version)
                self._refused.pop(version, None)
                self.last_error = None
                log.info("serving model %s", version)
                if self.on_swap is not None:
                    self.on_swap(version)
            except ModelError as exc:
                self._refused[version] = (fingerprint, time.monotonic(), without_paths(str(exc)))
                self.last_error = without_paths(str(exc))
                log.error("model %s refused, keeping %s: %s", version,
                          self._recommender.model.version if self._recommender else None, exc)
        finally:
            self._lock.release()

    def current_refused(self) -> str | None:
        """Why this worker does not serve the version models/CURRENT names, when it tried that
        version and refused it (readiness must not say ready then); None otherwise."""
        try:
            version = current_version(self.models_dir)
        except ModelError:
            return None  # unreadable CURRENT: get() reports it when nothing can be served
        refused = self._refused.get(version)
        if refused is None or version == self.version:
            return None
        return f"models/CURRENT names {version}, which failed verification ({refused[2]}); " \
               f"this worker still serves {self.version}"

    @property
    def version(self) -> str | None:
        return self._recommender.model.version if self._recommender else None
