"""Reading the raw public files in ``../shared/data`` with clear errors.

Raw files are read only by the data build. A missing file, an unparsable line
or a value of the wrong type fails the build with the file, line and column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recommender.data.tables import validate
from recommender.errors import DataError


def raw_path(raw_dir: Path, relative: str) -> Path:
    path = Path(raw_dir) / relative
    if not path.exists():
        raise DataError(path, "raw file not found (set RECOMMENDER_RAW_DIR or --raw-dir)")
    return path


def read_raw_csv(raw_dir: Path, relative: str, schema=None, keep=None, **read_csv_kwargs) -> pd.DataFrame:
    """Read one raw CSV (optionally gzipped) and validate it against ``schema``.

    ``schema`` is a pandera DataFrameModel describing the columns the build
    relies on; failures name the file line (header = line 1). ``keep`` is an
    optional row filter applied before validation, for rows the build ignores
    on purpose (e.g. regional aggregates without an ISO code); the index is
    kept, so line numbers stay right.
    """
    path = raw_path(raw_dir, relative)
    try:
        df = pd.read_csv(path, low_memory=False, **read_csv_kwargs)
    except pd.errors.ParserError as exc:
        # pandas says "Error tokenizing data. C error: Expected 4 fields in line 12, saw 5"
        raise DataError(path, f"malformed CSV: {exc}") from None
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(path, f"cannot be read: {exc}") from None
    df.columns = [str(c).lstrip("\ufeff") for c in df.columns]
    if keep is not None:
        df = df[keep(df)]
    if schema is not None:
        df = validate(df, schema, path)
    return df
