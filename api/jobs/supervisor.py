"""``python -m api.jobs.supervisor N [GRACE]``: keep N job workers running.

Started by gunicorn.conf.py when JOBS_EMBEDDED_WORKERS is set (``make run``):
each worker is ``flask --app api jobs worker`` in a fresh interpreter; one that
dies (a crash, an OOM kill, kill -9) is replaced after ``RESTART_DELAY``
seconds. SIGTERM or SIGINT stops the workers with SIGTERM (a job in progress
goes back to the queue), waits up to GRACE seconds (default 20), then kills
what is left. One thread that polls: no process is started from a thread
while another forks (see the note in gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

RESTART_DELAY = 1.0   # seconds before a dead worker is replaced (a worker that dies at start does not spin)
POLL = 0.2
WORKER = [sys.executable, "-m", "flask", "--app", "api", "jobs", "worker"]
log = logging.getLogger("api.jobs.supervisor")


def supervise(n: int, grace: float = 20.0, command: list[str] | None = None) -> int:
    """Run ``n`` workers until SIGTERM/SIGINT; returns how many times one was replaced."""
    command = command or WORKER
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    procs: list[subprocess.Popen | None] = [None] * n
    died_at = [0.0] * n
    replaced = 0
    while not stopping:
        for i, proc in enumerate(procs):
            if proc is not None and proc.poll() is None:
                continue
            if proc is not None and not died_at[i]:
                died_at[i] = time.monotonic()
                log.warning("job worker pid %d exited with %s: replacing it", proc.pid, proc.returncode)
            if proc is None or time.monotonic() - died_at[i] >= RESTART_DELAY:
                replaced += proc is not None
                procs[i], died_at[i] = subprocess.Popen(command), 0.0
        time.sleep(POLL)
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        if proc is None:
            continue
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return replaced


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or not args[0].isdigit():
        print("usage: python -m api.jobs.supervisor N [GRACE_SECONDS]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    supervise(int(args[0]), float(args[1]) if len(args) > 1 else 20.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
