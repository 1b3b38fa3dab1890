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

from recommender.batch.schema import ERRORS_SCHEMA, RESULT_SCHEMA

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


class Concatenation:
    """The parts, appended in order as they come, into one file at ``dest``:
    written to a temporary file and renamed onto ``dest`` by :meth:`commit`
    only (one part in memory at a time). Appending while later chunks are
    still being scored takes the final write off the end of the run."""

    def __init__(self, dest: Path, fmt: str, kind: str):
        self.dest, self.fmt, self.schema = dest, fmt, SCHEMAS[kind]
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = _tmp(dest)
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(self.tmp, self.schema, compression=COMPRESSION)
        else:
            self._out = open(self.tmp, "wb")
            header = pa.BufferOutputStream()
            pcsv.write_csv(self.schema.empty_table(), header)
            self._out.write(header.getvalue().to_pybytes())

    def append(self, part_path: Path) -> None:
        if self.fmt == "parquet":
            with pa.memory_map(str(part_path)) as source:
                table = pa.ipc.open_file(source).read_all()
            if table.num_rows:
                self._writer.write_table(table, row_group_size=1 << 20)
        else:
            with open(part_path, "rb") as f:
                while block := f.read(1 << 20):
                    self._out.write(block)

    def commit(self) -> None:
        self._close()
        _commit(self.tmp, self.dest)

    def abandon(self) -> None:
        self._close()
        self.tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self.fmt == "parquet":
            self._writer.close()
        else:
            self._out.close()
