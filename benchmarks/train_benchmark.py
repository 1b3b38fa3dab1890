"""Wall time and peak memory of a full `python -m recommender.train` run
(final-demand estimator and its checks, forecast dataset, 5-fold out-of-exporter
and out-of-time forecast evaluation, serving table, district validation with
leave-one-district-out weights).

Targets on the 2-core reference machine: under 5 minutes, under 3 GB.
Writes to a temporary models folder and never touches models/CURRENT.

    .venv/bin/python benchmarks/train_benchmark.py
"""

import resource
import subprocess
import sys
import tempfile
import time


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "recommender.train", "--models-dir", tmp, "--no-promote"],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stdout)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    print(f"full train + evaluation: wall {wall:.1f} s (target < 300 s), peak RSS {peak_mb:.0f} MB (target < 3072 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
