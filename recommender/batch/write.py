"""Part files and their concatenation, each written atomically (a temporary
file in the same folder, then ``os.replace``): a reader, or a run resumed
after a crash, sees a whole file or none, never half of one.

Parquet is written with zstd compression, from parts kept as Arrow IPC files
(zstd-compressed buffers: a part costs next to nothing to write and read, so
the one Parquet encoding is the final one); CSV as UTF-8 with a header line,
``,`` separated, quoted where needed, from CSV parts concatenated byte for
byte. Both are deterministic: the same tables give the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from recommender.batch.score import ERRORS_SCHEMA, RESULT_SCHEMA

FORMATS = ("parquet", "csv")
SCHEMAS = {"result": RESULT_SCHEMA, "errors": ERRORS_SCHEMA}
COMPRESSION = "zstd"


def part_name(i: int, kind: str, fmt: str) -> str:
    """Chunk i's part of ``kind`` (result, errors) for output format ``fmt`` (or ``json``: its done marker)."""
    ext = "arrow" if fmt == "parquet" else fmt
    return f"{i:06d}.{kind}.{ext}"


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _commit(tmp: Path, path: Path) -> None:
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())  # the bytes reach the disk before the name points at them
    os.replace(tmp, path)


def atomic_text(path: Path, text: str) -> None:
    tmp = _tmp(path)
    tmp.write_text(text)
    _commit(tmp, path)


def part(table: pa.Table, path: Path, fmt: str) -> None:
    """One chunk's table as a part file (CSV parts have no header line)."""
    tmp = _tmp(path)
    if fmt == "parquet":
        with pa.ipc.new_file(tmp, table.schema, options=pa.ipc.IpcWriteOptions(compression=COMPRESSION)) as w:
            w.write_table(table)
    else:
        pcsv.write_csv(table, tmp, write_options=pcsv.WriteOptions(include_header=False))
    _commit(tmp, path)


def concatenate(parts: list[Path], dest: Path, fmt: str, kind: str) -> None:
    """The parts, in order, as one file at ``dest`` (one part in memory at a time)."""
    schema = SCHEMAS[kind]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(dest)
    if fmt == "parquet":
        with pq.ParquetWriter(tmp, schema, compression=COMPRESSION) as writer:
            for p in parts:
                with pa.memory_map(str(p)) as source:
                    table = pa.ipc.open_file(source).read_all()
                if table.num_rows:
                    writer.write_table(table, row_group_size=1 << 20)
    else:
        with open(tmp, "wb") as out:
            header = pa.BufferOutputStream()
            pcsv.write_csv(schema.empty_table(), header)
            out.write(header.getvalue().to_pybytes())
            for p in parts:
                with open(p, "rb") as f:
                    while block := f.read(1 << 20):
                        out.write(block)
    _commit(tmp, dest)
