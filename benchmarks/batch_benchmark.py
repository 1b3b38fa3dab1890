"""Registry scoring benchmark: a SYNTHETIC registry (real ATECO 2025 codes of
manufacturing, divisions 10-33, real provinces, maturity levels 1-4 and
customer types, drawn at random; a share with current markets, languages or a
questionnaire instead of a level; a few bad rows) scored

1. through the CLI, ``python -m recommender.batch`` (target on the 2-core
   machine: 1,000,000 rows in <= 60 s with peak memory <= 1.5 GB, the memory
   of every process of the run added up, sampled from /proc);
2. through the API job path end to end: POST /api/v1/jobs, one job worker
   (``flask --app api jobs worker``), polling GET /jobs/{id}, downloading the
   result; its throughput printed.

    .venv/bin/python benchmarks/batch_benchmark.py [--rows 1000000] [--api-rows 200000] [--workers 2]

The synthetic rows are labelled as such (their names say "SINTETICA") and are
never used outside this benchmark.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ("website", "site_foreign_language", "online_catalogue", "sells_own_site", "sells_marketplaces",
             "social_accounts", "paid_ads", "web_analytics", "online_payments", "crm_email", "ships_abroad",
             "foreign_language_staff")
HEADER = ["name", "ateco", "province", "customer_type", "maturity_level", "current_markets", "languages",
          *QUESTIONS]


def manufacturing_codes() -> list[str]:
    """Every ATECO 2025 code of divisions 10-33 (ISTAT, via the ateco package)."""
    import ateco
    codes = []
    for division in range(10, 34):
        codes += [n.code for n in ateco.search(f"{division}.", edition="2025", limit=2000)
                  if n.code.startswith(f"{division}.")]
    return codes


def synthetic_registry(path: Path, rows: int, seed: int = 0) -> None:
    """A SYNTHETIC registry CSV in the Italian Excel dialect (``;``, UTF-8 BOM, CRLF)."""
    from recommender.data import load_table
    rng = random.Random(seed)
    codes = manufacturing_codes()
    provinces = load_table("provinces")["sigla"].tolist()
    markets = ["DE", "FR", "ES", "US", "GB", "CH", "AT", "NL", "BE", "PL", "CN", "JP"]
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        f.write(";".join(HEADER) + "\r\n")
        for i in range(rows):
            r = rng.random()
            answers = [""] * len(QUESTIONS)
            level = str(rng.randint(1, 4))
            if r < 0.02:  # a questionnaire instead of a level (rare in registries)
                level = ""
                answers = [rng.choice(("sì", "no")) for _ in QUESTIONS]
            current = ",".join(rng.sample(markets, rng.randint(1, 2))) if rng.random() < 0.1 else ""
            languages = "en" if rng.random() < 0.2 else ""
            ateco = rng.choice(codes)
            province = rng.choice(provinces)
            if r > 0.999:  # bad rows: the errors file names them
                ateco, province = "99.99", "XX"
            row = [f"IMPRESA SINTETICA {i}", ateco, province, rng.choice(("", "b2b", "b2c", "both")), level,
                   current, languages, *answers]
            f.write(";".join(row) + "\r\n")


class TreeMemory:
    """Peak resident memory of a process and all its descendants, added up (sampled from /proc)."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += children.get(p, [])
        return out

    def _run(self):
        while not self._stop.is_set():
            total = 0
            for p in self._tree():
                try:
                    with open(f"/proc/{p}/status") as f:
                        total += next(int(x.split()[1]) for x in f if x.startswith("VmRSS:")) * 1024
                except (OSError, StopIteration):
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self.every)


def cli(path: Path, out: Path, workers: int) -> None:
    cmd = [sys.executable, "-m", "recommender.batch", str(path), str(out), "--workers", str(workers),
           "--no-progress"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    with TreeMemory(proc.pid) as mem:
        _, err = proc.communicate()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"CLI failed: {err}")
    import pyarrow.parquet as pq
    rows_out = pq.ParquetFile(out).metadata.num_rows
    n = int(err.split(" rows")[0].replace(",", ""))
    print(err.strip())
    print(f"CLI: {n:,} SYNTHETIC rows in {seconds:.1f} s wall ({n / seconds:,.0f} rows/s), "
          f"{rows_out:,} result rows ({out.stat().st_size / 1e6:.0f} MB Parquet), "
          f"peak memory {mem.peak / 2**30:.2f} GiB (all processes added up)   [targets: <= 60 s, <= 1.5 GB]")


def api(path: Path, workdir: Path) -> None:
    """POST the file to a live service with one job worker, poll, download: end-to-end throughput."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}", "JOBS_DIR": str(workdir / "jobs"),
           "JOB_MAX_BYTES": str(2**31), "JOB_MAX_ROWS": str(10**8), "API_RATE_LIMIT": "100000 per minute",
           "BIND": "127.0.0.1:8765", "WEB_CONCURRENCY": "1", "JOBS_EMBEDDED_WORKERS": "0"}
    flask = [sys.executable, "-m", "flask", "--app", "api"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    key = subprocess.run([*flask, "keys", "create", "--tenant", "Benchmark (synthetic)", "--scope", "write"],
                         env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], env=env, cwd=ROOT,
                              stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    worker = subprocess.Popen([*flask, "jobs", "worker"], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:8765/api/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        started = time.monotonic()
        req = urllib.request.Request(f"{base}/jobs?k=10", data=path.read_bytes(), method="POST",
                                     headers={"X-API-Key": key, "Content-Type": "text/csv"})
        job = json.load(urllib.request.urlopen(req))
        posted = time.monotonic()
        while True:
            req = urllib.request.Request(f"{base}/jobs/{job['id']}", headers={"X-API-Key": key})
            status = json.load(urllib.request.urlopen(req))
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.5)
        req = urllib.request.Request(f"{base}/jobs/{job['id']}/result?format=parquet", headers={"X-API-Key": key})
        body = urllib.request.urlopen(req).read()
        seconds = time.monotonic() - started
        import pyarrow.parquet as pq
        rows_out = pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
        n = status["rows_ok"] + status["rows_rejected"]
        print(f"API job: {n:,} SYNTHETIC rows ({status['rows_ok']:,} scored, {status['rows_rejected']:,} rejected) "
              f"end to end in {seconds:.1f} s = {n / seconds:,.0f} rows/s (upload {posted - started:.1f} s, "
              f"one worker process; {rows_out:,} result rows, {len(body) / 1e6:.0f} MB Parquet downloaded)")
    finally:
        for p in (worker, server):
            p.terminate()
            p.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--api-rows", type=int, default=200_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as tmp:
        tmp = Path(tmp)
        registry = tmp / "registry-SYNTHETIC.csv"
        started = time.monotonic()
        synthetic_registry(registry, args.rows)
        print(f"SYNTHETIC registry: {args.rows:,} rows, {registry.stat().st_size / 1e6:.0f} MB CSV "
              f"(made in {time.monotonic() - started:.0f} s, not timed below)")
        cli(registry, tmp / "results.parquet", args.workers)
        if args.api_rows:
            small = tmp / "registry-api-SYNTHETIC.csv"
            synthetic_registry(small, args.api_rows, seed=1)
            api(small, tmp)


if __name__ == "__main__":
    main()
