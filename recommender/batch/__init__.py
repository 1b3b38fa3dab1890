"""Registry scoring: a whole registry file (CSV in the Italian Excel dialects,
XLSX or Parquet) scored into a compact long table, one row per firm and
recommended market, plus an errors file naming every rejected row's line,
field and reason. Chunked, resumable and parallel over processes.

    python -m recommender.batch registry.csv results.parquet --k 10 --workers 2

    from recommender.batch import score_file
    summary = score_file("registry.csv", "results.parquet", k=10)

Modules: ``read`` (input files), ``rows`` (the one validation of a row),
``score`` (a chunk of rows to Arrow tables), ``write`` (part files and their
atomic concatenation), ``run`` (the resumable, parallel run).
"""

from recommender.batch.run import DEFAULT_CHUNK_ROWS, Progress, Summary, errors_path_for, score_file

__all__ = ["DEFAULT_CHUNK_ROWS", "Progress", "Summary", "errors_path_for", "score_file"]
