"""``/api/v1/jobs``: submit a registry file, follow the job, download the result and the errors.

Scopes: submitting needs ``write`` (a job stores the Chamber's registry and
results on the server for JOB_RESULT_DAYS, like creating firms), reading and
downloading ``read``. A job is its Chamber's only: any other tenant gets 404,
as for an unknown id.
"""

from __future__ import annotations

import re
import uuid

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from flask import Response, current_app, g, request, send_file, stream_with_context, url_for
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from api.arguments import Blueprint
from api.db.models import Job
from api.errors import ApiProblem
from api.jobs import queue
from api.jobs.files import JobFiles, jobs_dir
from api.jobs.schemas import DownloadQuery, JobList, JobOut, JobQuery
from api.pagination import page
from api.schemas import Page
from recommender.batch.read import open_input

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Registry scoring jobs")
BLOCK = 1 << 20
MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def _out(job: Job) -> dict:
    done = job.status in ("done", "expired")
    progress = 1.0 if done else (min(1.0, job.rows_done / job.rows_estimate) if job.rows_estimate else 0.0)
    links = {"self": url_for("jobs.get_job", job_id=job.id)}
    if job.status == "done":
        links |= {"result": url_for("jobs.result", job_id=job.id), "errors": url_for("jobs.errors", job_id=job.id)}
    return {"id": job.id, "status": job.status, "k": job.k, "lang": job.lang,
            "input": {"name": job.input_name, "format": job.input_format, "bytes": job.input_bytes,
                      "sha256": job.input_sha256},
            "rows_estimate": job.rows_estimate, "rows_done": job.rows_done, "rows_ok": job.rows_ok,
            "rows_rejected": job.rows_rejected, "progress": round(progress, 4), "attempts": job.attempts,
            "model_version": job.model_version, "error": job.error, "created_at": job.created_at,
            "started_at": job.started_at, "finished_at": job.finished_at, "expires_at": job.expires_at,
            "links": links}


JOB_ID = re.compile(r"[0-9a-f]{32}")


def _own_job(job_id: str) -> Job:
    """The caller's job; 404 for another Chamber's job exactly as for an unknown or malformed id."""
    if not JOB_ID.fullmatch(job_id):
        raise ApiProblem(404, "Not Found", "no such job")
    job = g.db.scalar(select(Job).where(Job.id == job_id, Job.tenant_id == g.caller.tenant_id))
    if job is None:
        raise ApiProblem(404, "Not Found", "no such job")
    return job


def _printable(text: str) -> str:
    """A client's file name as storable text: no control characters (NUL) or lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch for ch in text if ch.isprintable())


def _save_upload(files: JobFiles, limit: int) -> str | None:
    """Write the request's file (multipart ``file`` or the raw body) to files.input, streamed; its name."""
    request.max_content_length = limit + 64 * 1024  # room for the multipart envelope
    files.root.mkdir(parents=True, exist_ok=True)
    name = None
    try:
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise ApiProblem(422, "Invalid input", "no file", [{"field": "file", "reason": "required"}])
            name = _printable(upload.filename or "")[:200] or None
            stream = upload.stream
        else:
            stream = request.stream
        size = 0
        with open(files.input, "wb") as out:
            while block := stream.read(BLOCK):
                size += len(block)
                if size > limit:
                    raise RequestEntityTooLarge()
                out.write(block)
    except RequestEntityTooLarge:
        raise ApiProblem(413, "Payload Too Large", f"at most {limit:,} bytes per file (JOB_MAX_BYTES)") from None
    if size == 0:
        raise ApiProblem(422, "Invalid input", "empty file", [{"field": "file", "reason": "empty"}])
    return name


@blp.route("/jobs", methods=["POST"])
@blp.keyed("write")
@blp.arguments(JobQuery, location="query", as_kwargs=True)
@blp.response(202, JobOut)
@blp.problems(400, 413, 422)
@blp.doc(requestBody={
    "required": True,
    "description": "The registry as a file: CSV (the columns of POST /recommendations/batch; `,` or `;`, UTF-8 or "
                   "Windows-1252, as Excel writes it), XLSX (first sheet, header in row 1) or Parquet, recognised "
                   "by content. Multipart (field `file`) or the raw body (any content type). Limits per tenant: "
                   "JOB_MAX_BYTES per file (413), JOB_MAX_ROWS rows (413), JOB_MAX_CONCURRENT queued or running "
                   "jobs (429). A bad header is a 422 at once; bad rows go to the job's errors file.",
    "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}}}},
                "text/csv": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}})
def create_job(lang, k):
    """Submit a registry for scoring: 202 with the job (poll its `links.self`)."""
    cfg = current_app.config
    if queue.active_count(g.db, g.caller.tenant_id) >= cfg["JOB_MAX_CONCURRENT"]:
        raise ApiProblem(429, "Too Many Requests", f"at most {cfg['JOB_MAX_CONCURRENT']} queued or running jobs "
                         "per Chamber; wait for one to finish", headers={"Retry-After": "30"})
    job_id = uuid.uuid4().hex
    files = JobFiles.of(jobs_dir(current_app), job_id)
    try:
        name = _save_upload(files, cfg["JOB_MAX_BYTES"])
        # the header now: a file that cannot be scored is refused at once (XLSX rows counted up to the limit)
        inp = open_input(files.input, max_rows=cfg["JOB_MAX_ROWS"])
        if inp.rows_estimate is not None and inp.rows_estimate > cfg["JOB_MAX_ROWS"]:
            raise ApiProblem(413, "Payload Too Large", f"{inp.rows_estimate:,} rows; at most "
                             f"{cfg['JOB_MAX_ROWS']:,} per job (JOB_MAX_ROWS): split the file")
        if inp.rows_estimate == 0:
            raise ApiProblem(422, "Invalid input", "no rows", [{"field": "file", "reason": "no data rows"}])
        job = Job(id=job_id, tenant_id=g.caller.tenant_id, status="queued", k=k, lang=lang, input_name=name,
                  input_format=inp.format, input_bytes=inp.size, input_sha256=inp.sha256,
                  rows_estimate=inp.rows_estimate, rows_done=0, rows_ok=0, rows_rejected=0, attempts=0)
        g.db.add(job)
        g.db.flush()
        if queue.active_count(g.db, g.caller.tenant_id) > cfg["JOB_MAX_CONCURRENT"]:  # a concurrent upload won
            raise ApiProblem(429, "Too Many Requests", f"at most {cfg['JOB_MAX_CONCURRENT']} queued or running "
                             "jobs per Chamber", headers={"Retry-After": "30"})
        g.db.commit()
    except BaseException:  # refused (4xx) or broken off: nothing of the upload stays behind
        g.db.rollback()
        files.delete()
        raise
    return _out(job), 202, {"Location": url_for("jobs.get_job", job_id=job.id)}


@blp.route("/jobs", methods=["GET"])
@blp.keyed("read")
@blp.arguments(Page, location="query", as_kwargs=True)
@blp.response(200, JobList)
def list_jobs(limit, offset):
    """The Chamber's jobs, newest first."""
    where = Job.tenant_id == g.caller.tenant_id
    total = g.db.scalar(select(func.count()).select_from(Job).where(where))
    jobs = g.db.scalars(select(Job).where(where).order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset))
    return page([_out(j) for j in jobs], total, limit, offset)


@blp.route("/jobs/<job_id>", methods=["GET"])
@blp.keyed("read")
@blp.response(200, JobOut)
@blp.problems(404)
def get_job(job_id):
    """Status, progress and counts of good and rejected rows."""
    return _out(_own_job(job_id))


def _finished(job: Job, path) -> None:
    if job.status == "expired":
        raise ApiProblem(410, "Gone", f"the job's files were deleted {current_app.config['JOB_RESULT_DAYS']:g} "
                                      "days after it ended (JOB_RESULT_DAYS); submit the file again")
    if job.status == "failed":
        raise ApiProblem(409, "Conflict", "the job failed: " + (job.error or {}).get("detail", "see GET /jobs/{id}"),
                         (job.error or {}).get("errors"))
    if job.status != "done":
        raise ApiProblem(409, "Conflict", f"the job is {job.status}: the result is there once it is done",
                         headers={"Retry-After": "5"})
    if not path.exists():  # deleted by retention between the status read and now
        raise ApiProblem(410, "Gone", "the job's files were deleted; submit the file again")


def _download(job: Job, path, kind: str, fmt: str):
    _finished(job, path)
    filename = f"job-{job.id}-{kind}.{fmt}"
    if fmt == "parquet":
        return send_file(path, mimetype=MEDIA[fmt], as_attachment=True, download_name=filename, max_age=0)

    def rows():  # Parquet -> CSV a batch at a time: memory stays small however large the result
        with pq.ParquetFile(path) as pf:
            header = True
            for batch in pf.iter_batches(batch_size=65_536):
                sink = pa.BufferOutputStream()
                pcsv.write_csv(batch, sink, write_options=pcsv.WriteOptions(include_header=header))
                header = False
                yield sink.getvalue().to_pybytes()
            if header:  # no rows: the header alone
                sink = pa.BufferOutputStream()
                pcsv.write_csv(pf.schema_arrow.empty_table(), sink)
                yield sink.getvalue().to_pybytes()

    return Response(stream_with_context(rows()), mimetype=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


_DOWNLOAD_DOC = {"responses": {"200": {"description": "the file", "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}}}}}}


@blp.route("/jobs/<job_id>/result", methods=["GET"])
@blp.keyed("read")
@blp.arguments(DownloadQuery, location="query", as_kwargs=True)
@blp.problems(404, 409, 410)
@blp.doc(**_DOWNLOAD_DOC)
def result(job_id, format):  # noqa: A002  (the query parameter's name)
    """The compact result: one row per firm and market (row, name, rank, market, market_name, score, peers,
    forecast, unrealised, evidence, horizon, needs_level, status, restriction, channels, model_version).
    409 while the job is queued, running or failed; 410 once deleted."""
    job = _own_job(job_id)
    return _download(job, JobFiles.of(jobs_dir(current_app), job.id).result, "result", format)


@blp.route("/jobs/<job_id>/errors", methods=["GET"])
@blp.keyed("read")
@blp.arguments(DownloadQuery, location="query", as_kwargs=True)
@blp.problems(404, 409, 410)
@blp.doc(**_DOWNLOAD_DOC)
def errors(job_id, format):  # noqa: A002
    """Every rejected row: one row per bad field (row, name, field, reason, value, suggestions)."""
    job = _own_job(job_id)
    return _download(job, JobFiles.of(jobs_dir(current_app), job.id).errors, "errors", format)


__all__ = ["blp"]
