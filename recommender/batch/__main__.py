"""``python -m recommender.batch INPUT OUTPUT``: score a whole registry file.

    python -m recommender.batch registry.csv results.parquet [--k 10] [--lang it] [--workers N]

INPUT: CSV (``,`` or ``;``, UTF-8 or Windows-1252, as Excel writes it), XLSX
(first sheet) or Parquet, with the API's CSV columns. OUTPUT: .parquet or
.csv, one row per firm and recommended market; rejected rows go to the errors
file (default OUTPUT with ``.errors`` before the extension), one row per bad
field. A killed run restarted with the same arguments resumes and writes the
same output as an uninterrupted one.
Exit codes: 0 done (even with rejected rows), 2 invalid file or arguments, 3 model problem.
"""

from __future__ import annotations

import argparse
import os
import sys

from recommender.batch.run import DEFAULT_CHUNK_ROWS, score_file
from recommender.errors import InvalidInput, ModelError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m recommender.batch", description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="registry file: .csv, .xlsx or .parquet (recognised by content)")
    ap.add_argument("output", help="results file: .parquet or .csv")
    ap.add_argument("--errors", help="rejected rows file (default: OUTPUT with .errors before the extension)")
    ap.add_argument("--k", type=int, default=10, help="markets per firm, 1-30 (default 10)")
    ap.add_argument("--lang", default="it", choices=("it", "en"), help="language of market names (default it)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="scoring processes (default: the number of CPUs)")
    ap.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS,
                    help=f"rows per chunk, the unit of resumption (default {DEFAULT_CHUNK_ROWS:,})")
    ap.add_argument("--models-dir", help="models folder (default: the shipped models/)")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        s = score_file(args.input, args.output, args.errors, k=args.k, lang=args.lang, workers=args.workers,
                       chunk_rows=args.chunk_rows, models_dir=args.models_dir,
                       progress_bar=False if args.no_progress else None)
    except InvalidInput as exc:
        print("invalid input:", file=sys.stderr)
        for e in exc.errors:
            value = f" ({e.value})" if e.value not in (None, "") else ""
            print(f"  {e.field}: {e.reason}{value}", file=sys.stderr)
        return 2
    except ModelError as exc:
        print(f"model problem: {exc}", file=sys.stderr)
        return 3
    resumed = f", {s.resumed_chunks} of {s.chunks} chunks resumed" if s.resumed_chunks else ""
    print(f"{s.rows:,} rows: {s.ok:,} scored, {s.rejected:,} rejected in {s.seconds:.1f} s "
          f"(model {s.model_version}{resumed})\nresults: {s.output}\nerrors:  {s.errors}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
