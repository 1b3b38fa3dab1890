"""Score a whole registry file: chunked, resumable, parallel over processes.

Contract of :func:`score_file`:
- Rows are read in chunks of ``chunk_rows`` data rows; each chunk's results
  and errors are written as part files next to the output
  (``OUTPUT.parts/``), each atomically (temporary file, then ``os.replace``),
  and a chunk counts as done only once its ``.done.json`` marker is written,
  after both parts.
- The parts folder holds a manifest of what the run depends on: the input's
  sha256, k, lang, chunk size, output format and model version. A run
  restarted with the same arguments skips the chunks already done; with
  anything different it starts over. As chunks complete, in input order
  (resumed ones too), their parts are appended to temporary files that
  become OUTPUT and the errors file (renamed, so never half-written) once the
  last chunk is in; then the parts folder is removed. An interrupted-then-
  resumed run thus writes the very same bytes as an uninterrupted one,
  whatever the number of worker processes.
- Memory stays bounded: at most ``workers + 1`` chunks are in flight and the
  concatenation holds one part at a time.
- ``workers`` > 1 scores chunks in that many processes (``spawn``: nothing is
  forked after LightGBM/OpenMP may have run); each loads the same model
  version once.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple

import pyarrow as pa

from recommender.batch import write
from recommender.batch.read import NO_ERRORS, InputFile, open_input
from recommender.errors import FieldError, InvalidInput
from recommender.recommend.arguments import check_arguments

if TYPE_CHECKING:
    from recommender.recommend.engine import Recommender

# The engine (pandas, scipy, the model) is imported only where chunks are scored:
# with worker processes, this one only reads the input and writes the output.

DEFAULT_CHUNK_ROWS = 20_000
MANIFEST_FORMAT = 1


@dataclass
class Progress:
    """Where a run stands; passed to ``on_chunk`` after every chunk, in order."""

    rows: int = 0          # data rows read so far (good + rejected)
    ok: int = 0
    rejected: int = 0
    chunks: int = 0
    resumed_chunks: int = 0  # chunks found done by an earlier, interrupted run
    rows_estimate: int | None = None


@dataclass
class Summary(Progress):
    output: str = ""
    errors: str = ""
    model_version: str = ""
    seconds: float = 0.0


def errors_path_for(output: Path) -> Path:
    """results.parquet -> results.errors.parquet"""
    return output.with_name(f"{output.stem}.errors{output.suffix}")


def output_format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in write.FORMATS:
        raise InvalidInput([FieldError("output", "must end in .parquet or .csv", value=str(path))])
    return fmt


def score_file(input_path, output_path, errors_path=None, *, k: int = 10, lang: str = "it", workers: int = 1,
               chunk_rows: int = DEFAULT_CHUNK_ROWS, recommender: Recommender | None = None, models_dir=None,
               on_chunk: Callable[[Progress], None] | None = None, progress_bar: bool | None = None,
               tenant: int | None = None) -> Summary:
    """Score every row of ``input_path`` into ``output_path`` (.parquet or .csv)
    and ``errors_path`` (default: OUTPUT's name with ``.errors``). Raises
    InvalidInput for a file that cannot be read as a whole (bad header...) or
    bad arguments. ``recommender``: use this loaded one in this process (and
    its model version in worker processes); else the current model of
    ``models_dir``. ``progress_bar``: tqdm's ``disable`` inverted (None: only
    on a terminal). ``tenant``: the Chamber running the job (its own view of the
    registry evidence and market outcomes; None: the shared, k-anonymous one)."""
    started = time.monotonic()
    output = Path(output_path)
    errors = Path(errors_path) if errors_path else errors_path_for(output)
    fmt = output_format(output)
    if output_format(errors) != fmt:
        raise InvalidInput([FieldError("errors", f"must be .{fmt} like the output", value=str(errors))])
    check_arguments(k, lang)  # the engine's own rule, before reading anything
    if workers < 1 or chunk_rows < 1:
        raise InvalidInput([FieldError("workers" if workers < 1 else "chunk_rows", "must be at least 1")])
    inp = open_input(input_path)
    version = recommender.model.version if recommender is not None else _current_version(models_dir)

    parts = Path(f"{output}.parts")
    manifest = {"format": MANIFEST_FORMAT, "input_sha256": inp.sha256, "input_bytes": inp.size, "k": k,
                "lang": lang, "chunk_rows": chunk_rows, "output_format": fmt, "model_version": version,
                "tenant": tenant}
    _prepare_parts(parts, manifest)
    state = Progress(rows_estimate=inp.rows_estimate)

    chunks = _chunks(inp, chunk_rows)
    results = write.Concatenation(output, fmt, "result")
    rejected = write.Concatenation(errors, fmt, "errors")
    try:
        with _progress_bar(inp.rows_estimate, progress_bar) as bar:
            def done(i: int, counts: dict, resumed: bool) -> None:
                """Chunk i is committed (called in input order): count it, append its parts."""
                results.append(parts / write.part_name(i, "result", fmt))
                rejected.append(parts / write.part_name(i, "errors", fmt))
                state.rows += counts["ok"] + counts["rejected"]
                state.ok += counts["ok"]
                state.rejected += counts["rejected"]
                state.chunks += 1
                state.resumed_chunks += resumed
                bar.update(counts["ok"] + counts["rejected"])
                if on_chunk is not None:
                    on_chunk(state)

            job = _ChunkJob(inp.header, inp.list_separators, k, lang, fmt, str(parts), tenant)
            if workers == 1:
                from recommender.batch.score import ChunkScorer
                scorer = ChunkScorer(recommender or _load(version, models_dir), inp.header, inp.list_separators,
                                     k, lang, tenant)
                for i, rows in chunks:
                    counts = _read_done(parts, i)
                    resumed = counts is not None
                    if counts is None:
                        counts = job.run(scorer, i, rows)
                    done(i, counts, resumed)
            else:
                _run_parallel(job, chunks, parts, workers, version, models_dir, done)
    except BaseException:
        results.abandon()
        rejected.abandon()
        raise
    rejected.commit()
    results.commit()  # the output last: once it is there, the run is complete
    shutil.rmtree(parts, ignore_errors=True)
    return Summary(**asdict(state), output=str(output), errors=str(errors), model_version=version,
                   seconds=round(time.monotonic() - started, 3))


# -- chunks and their parts -------------------------------------------------
class Chunk(NamedTuple):
    """A chunk of rows packed as plain lists (a tenth of the pickling cost of
    one object per row, for the trip to a worker process)."""

    lines: list[int]
    cells: list[list[str]]
    errors: dict[int, list]   # position in the chunk -> the row's structural errors, only where there are some

    def rows(self):
        errors = self.errors
        for j, (line, cells) in enumerate(zip(self.lines, self.cells)):
            yield line, cells, errors.get(j, NO_ERRORS)


def _chunks(inp: InputFile, chunk_rows: int):
    rows = inp.rows()
    i = 0
    while raw := list(islice(rows, chunk_rows)):
        lines, cells, errors = zip(*raw)
        yield i, Chunk(list(lines), list(cells), {j: e for j, e in enumerate(errors) if e})
        i += 1


def _prepare_parts(parts: Path, manifest: dict) -> None:
    """Keep the parts of an earlier run of the very same job; else start afresh."""
    path = parts / "manifest.json"
    try:
        same = json.loads(path.read_text()) == manifest
    except (OSError, ValueError):
        same = False
    if not same:
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir(parents=True)
        write.atomic_text(path, json.dumps(manifest, sort_keys=True))


def _read_done(parts: Path, i: int) -> dict | None:
    try:
        return json.loads((parts / write.part_name(i, "done", "json")).read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class _ChunkJob:
    header: list
    list_separators: str
    k: int
    lang: str
    fmt: str
    parts: str
    tenant: int | None = None

    def run(self, scorer, i: int, rows) -> dict:
        """Score chunk i and commit it: both parts, then its done marker."""
        parts = Path(self.parts)
        results, errors, ok, rejected = scorer.score(rows.rows())
        write.part(results, parts / write.part_name(i, "result", self.fmt), self.fmt)
        write.part(errors, parts / write.part_name(i, "errors", self.fmt), self.fmt)
        del results, errors
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed memory otherwise
        counts = {"ok": ok, "rejected": rejected, "first_line": rows.lines[0], "last_line": rows.lines[-1]}
        write.atomic_text(parts / write.part_name(i, "done", "json"), json.dumps(counts))
        return counts


# -- worker processes ---------------------------------------------------------
_WORKER: dict = {}


def _init_worker(job: _ChunkJob, version: str, models_dir) -> None:
    from recommender.batch.score import ChunkScorer
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER["job"] = job
    _WORKER["scorer"] = ChunkScorer(_load(version, models_dir), job.header, job.list_separators, job.k, job.lang,
                                    job.tenant)


def _score_in_worker(i: int, rows) -> dict:
    return _WORKER["job"].run(_WORKER["scorer"], i, rows)


def _run_parallel(job: _ChunkJob, chunks, parts: Path, workers: int, version: str, models_dir, done) -> None:
    context = multiprocessing.get_context("spawn")
    pending: deque = deque()  # (i, future or the counts of a chunk already done), in input order
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(job, version, models_dir)) as pool:
        for i, rows in chunks:
            counts = _read_done(parts, i)
            pending.append((i, counts if counts is not None else pool.submit(_score_in_worker, i, rows),
                            counts is not None))
            while len(pending) > workers or (pending and not hasattr(pending[0][1], "result")):
                j, item, resumed = pending.popleft()
                done(j, item.result() if hasattr(item, "result") else item, resumed)
        while pending:
            j, item, resumed = pending.popleft()
            done(j, item.result() if hasattr(item, "result") else item, resumed)


# -- model and progress -------------------------------------------------------
def _current_version(models_dir) -> str:
    from recommender.model.current import current_version
    return current_version(models_dir)


def _load(version: str, models_dir):
    from recommender.model.artifact import load_version
    from recommender.recommend.engine import Recommender
    return Recommender(load_version(version, models_dir))


def _progress_bar(total: int | None, show: bool | None):
    from tqdm import tqdm
    return tqdm(total=total, unit="rows", unit_scale=True, smoothing=0.1, desc="scoring",
                disable=None if show is None else not show)
