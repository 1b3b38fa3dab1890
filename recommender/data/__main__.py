"""``python -m recommender.data build``: rebuild the derived tables in data/.

Reads the raw public files (``--raw-dir``, default ``../shared/data``), writes
the compact derived tables (``--data-dir``, default ``data/``) and prints
their sha256. Same input, byte-identical output.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from tqdm import tqdm

from recommender import config
from recommender.data.builders import BUILDERS
from recommender.data.tables import TABLES, sha256_file, write_table
from recommender.errors import DataError


def build_all(raw_dir: Path, data_dir: Path, only: list[str] | None = None, progress: bool = True) -> dict[str, Path]:
    """Run every builder (or those in ``only``) and write their tables."""
    built: dict = {}
    written: dict[str, Path] = {}
    steps = [b for b in BUILDERS if not only or b[0] in only]
    for label, target in tqdm(steps, desc="building data", unit="step", disable=None if progress else True):
        module, _, func = target.partition(":")
        tables = getattr(importlib.import_module(module), func)(Path(raw_dir), built)
        for name, df in tables.items():
            written[name] = write_table(name, df, data_dir)
            built[name] = df
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="rebuild the derived tables from the raw public data")
    b.add_argument("--raw-dir", type=Path, default=None, help="raw data folder (default ../shared/data or $RECOMMENDER_RAW_DIR)")
    b.add_argument("--data-dir", type=Path, default=None, help="output folder (default data/ or $RECOMMENDER_DATA_DIR)")
    b.add_argument("--only", action="append", choices=[x[0] for x in BUILDERS], help="run only this builder (repeatable)")
    sub.add_parser("list", help="list the derived tables and what they hold")
    args = parser.parse_args(argv)

    if args.command == "list":
        for t in TABLES.values():
            print(f"{t.filename:28s} {t.description}")
        return 0
    raw = args.raw_dir or config.raw_dir()
    out = args.data_dir or config.data_dir()
    if not Path(raw).is_dir():
        print(f"error: raw data folder not found: {raw}", file=sys.stderr)
        return 2
    try:
        written = build_all(raw, out, args.only)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for more in exc.more[:10]:
            print(f"  also: {more}", file=sys.stderr)
        return 1
    for name, path in written.items():
        print(f"{sha256_file(path)}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
