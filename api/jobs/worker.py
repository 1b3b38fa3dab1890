"""The job worker: ``flask --app api jobs worker`` (``make run`` starts one
beside gunicorn). Start more, on this host or others sharing DATABASE_URL and
JOBS_DIR, to score more registries at once.

Contract:
- It claims one job at a time (api.jobs.queue), scores it with the library's
  resumable run (recommender.batch.score_file, the same as the CLI), renews
  its lease from a heartbeat thread and after every chunk, and records the
  progress after every committed chunk.
- Killed at any point (``kill -9`` included), it loses no acknowledged rows:
  its lease runs out, another worker claims the job and resumes from the
  committed chunks; the result appears only once complete (written
  atomically, then the job turns ``done``). SIGTERM/SIGINT stop it after the
  current chunk and give the job back to the queue at once.
- A job that cannot be read as a whole ends ``failed`` with the file's errors;
  one whose workers died JOB_MAX_ATTEMPTS times ends ``failed`` too.
- It deletes the files of jobs past their retention (JOB_RESULT_DAYS) and
  marks them ``expired``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid

from flask import Flask

from api.config import check as check_settings
from api.db.models import Job
from api.jobs import queue
from api.jobs.files import JobFiles, jobs_dir
from api.model_holder import ModelHolder
from recommender.batch import score_file
from recommender.errors import InvalidInput, ModelError

log = logging.getLogger(__name__)
SWEEP_SECONDS = 300


class Stopped(Exception):
    """The worker was asked to stop, or lost its job's lease, between two chunks."""


class Worker:
    def __init__(self, app: Flask):
        self.app = app
        check_settings(app.config)  # create_app() did; an app configured since must not start a worker wrong
        self.cfg = app.config
        self.sessions = app.extensions["db_sessions"]
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stop = threading.Event()
        self.base = jobs_dir(app)
        self.models = ModelHolder(self.cfg.get("MODELS_DIR"), self.cfg["MODEL_CHECK_SECONDS"],
                                  signing_key=self.cfg.get("MODEL_SIGNING_KEY"))
        self._last_sweep = 0.0

    def handle_signals(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop.set())

    def run(self, once: bool = False) -> int:
        """Work until stopped (``once``: until the queue is empty). Returns the number of jobs run."""
        ran = 0
        log.info("job worker %s started", self.name)
        while not self.stop.is_set():
            self.sweep()
            with self.sessions() as s:
                job = queue.claim(s, self.name, self.cfg["JOB_LEASE_SECONDS"])
                if job is not None:
                    s.expunge(job)
            if job is None:
                if once:
                    break
                self.stop.wait(self.cfg["JOB_POLL_SECONDS"])
                continue
            self.work(job)
            ran += 1
        return ran

    def sweep(self, force: bool = False) -> int:
        """Delete the files of jobs past their retention; they answer 410 from then on."""
        if not force and time.monotonic() - self._last_sweep < SWEEP_SECONDS:
            return 0
        self._last_sweep = time.monotonic()
        with self.sessions() as s:
            jobs = queue.due_for_deletion(s)
            for job in jobs:
                JobFiles.of(self.base, job.id).delete()
                job.status = "expired"
            s.commit()
        return len(jobs)

    def work(self, job: Job) -> None:
        files = JobFiles.of(self.base, job.id)
        lease, keep = self.cfg["JOB_LEASE_SECONDS"], self.cfg["JOB_RESULT_DAYS"]
        if job.attempts > self.cfg["JOB_MAX_ATTEMPTS"]:
            with self.sessions() as s:
                queue.finish(s, job.id, self.name, "failed", keep, error={
                    "detail": f"the job was interrupted {job.attempts - 1} times (workers stopped or killed); "
                              "send the file again"})
            return
        lost = threading.Event()
        beating = threading.Event()

        def heartbeat():
            while not beating.wait(max(lease / 3, 0.2)):
                with self.sessions() as s:
                    if not queue.renew(s, job.id, self.name, lease):
                        lost.set()
                        return

        def on_chunk(p):
            with self.sessions() as s:
                if not queue.renew(s, job.id, self.name, lease, rows_done=p.rows, rows_ok=p.ok,
                                   rows_rejected=p.rejected):
                    lost.set()
            if lost.is_set() or self.stop.is_set():
                raise Stopped

        beat = threading.Thread(target=heartbeat, name=f"lease-{job.id}", daemon=True)
        beat.start()
        try:
            rec = self.models.get()
            s = score_file(files.input, files.result, files.errors, k=job.k, lang=job.lang, tenant=job.tenant_id,
                           workers=self.cfg["JOB_PROCESSES"], chunk_rows=self.cfg["JOB_CHUNK_ROWS"],
                           recommender=rec, models_dir=self.cfg.get("MODELS_DIR"), on_chunk=on_chunk,
                           progress_bar=False)
        except Stopped:
            if not lost.is_set():
                with self.sessions() as ss:
                    queue.release(ss, job.id, self.name)
            log.info("job %s handed back (%s)", job.id, "lease lost" if lost.is_set() else "stopping")
            return
        except InvalidInput as exc:
            with self.sessions() as ss:
                queue.finish(ss, job.id, self.name, "failed", keep, error={
                    "detail": "the file cannot be scored", "errors": [e.as_dict() for e in exc.errors]})
            return
        except ModelError as exc:
            log.error("job %s: no model (%s); handed back", job.id, exc)
            with self.sessions() as ss:
                queue.release(ss, job.id, self.name)
            self.stop.wait(self.cfg["JOB_LEASE_SECONDS"])
            return
        except Exception:  # a bug, not the Chamber's file: logged, the job fails with a generic reason
            log.exception("job %s failed", job.id)
            with self.sessions() as ss:
                queue.finish(ss, job.id, self.name, "failed", keep,
                             error={"detail": "unexpected error while scoring; it has been logged"})
            return
        finally:
            beating.set()
            beat.join()
        with self.sessions() as ss:
            queue.finish(ss, job.id, self.name, "done", keep, rows_done=s.rows, rows_ok=s.ok,
                         rows_rejected=s.rejected, model_version=s.model_version)
        log.info("job %s done: %d rows (%d rejected) in %.1f s", job.id, s.rows, s.rejected, s.seconds)
