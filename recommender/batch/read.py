"""Registry files as Chambers export them: CSV (Italian Excel dialects), XLSX or Parquet.

Contract:
- :func:`open_input` recognises the format by content (Parquet and XLSX by
  their magic bytes, anything else is CSV), checks the header at once and
  raises :class:`InvalidInput` with ``file`` errors for a file that cannot be
  read as a whole (bad header: unknown, duplicate or no ``ateco`` column; a
  NUL character in a CSV; an unreadable workbook or Parquet file).
- :meth:`InputFile.rows` yields every data row as a :class:`RawRow` (its line,
  its cells aligned to the header, its own structural errors); nothing is
  dropped silently, blank lines only. A ragged row, an unterminated quote
  (CSV) are errors of that row. Files are streamed: memory does not grow with
  the file.
- Size limits are checked before anything is parsed, linear in the input:
  at most :data:`MAX_COLUMNS` columns and :data:`MAX_HEADER_CHARS` characters
  of header (else :class:`InputTooLarge`, field ``file``, naming the limit);
  a CSV line over :data:`MAX_LINE` characters is never handed to the parser
  (it is read to its end in pieces and becomes its row's error), a cell over
  :data:`MAX_CELL` characters is its row's error too: the rows after it are
  read as usual.
- XLSX is opened by content (whatever the file's name), in openpyxl's
  streaming (read_only) mode with defusedxml guarding every XML part. Before
  openpyxl sees it, the archive's declared sizes are checked
  (:data:`MAX_XLSX_UNZIPPED` in all, no part expanding more than
  :data:`MAX_XLSX_RATIO` times) and the first sheet is scanned: its rows are
  counted from the sheet itself (never from its ``<dimension>`` tag, which
  may lie), no row over :data:`MAX_CELLS_PER_ROW` cells. Every row is then
  read, whatever ``<dimension>`` says.
- ``line`` is the CSV line number (header = line 1), the sheet row number of
  an XLSX file, and for Parquet the row's position + 1 (as if it had a header
  line), so a CSV converted to XLSX or Parquet keeps its row numbers.

CSV as Excel writes it in Italy: ``,`` or ``;`` separator (the header line's
more frequent one), UTF-8 with or without BOM, else Windows-1252, else
latin-1; CRLF, LF or CR-only line ends. Lists inside a cell use the other
separator (``;`` in ``,`` files, ``,`` in ``;`` files) or ``|``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
import zipfile
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from recommender import columns as C
from recommender.errors import FieldError, InputTooLarge, InvalidInput
from recommender.maturity import QUESTION_IDS

COLUMNS = (*C.INPUT_PROFILE_COLUMNS, *QUESTION_IDS)
_KNOWN = frozenset(COLUMNS)

# Limits, checked before parsing (see the module docstring and the README's "Limits").
MAX_COLUMNS = 64            # columns of a header: the known columns (22) plus margin
MAX_HEADER_CHARS = 4096     # characters of the header line (the known columns take 293)
MAX_LINE = 1 << 20          # characters of one CSV line (physical line): longer is that row's error
MAX_CELL = 131_072          # characters of one cell: longer is that row's error (recommender.batch.rows)
MAX_XLSX_UNZIPPED = 1 << 30  # bytes of an XLSX archive's parts, uncompressed, all together
MAX_XLSX_RATIO = 100        # times a part of an XLSX archive (over 1 MiB) may expand when uncompressed
MAX_CELLS_PER_ROW = 16_384  # cells of one XLSX row (Excel's own maximum number of columns)
MAX_SHEET_ROW = 1_048_576   # an XLSX row's number (Excel's own maximum): rows skipped up to it are read as blank
BLOCK = 1 << 20  # bytes read at a time while scanning a file
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"  # XLSX is a zip archive


#: A data row: (line, cells, errors). ``line``: see the module docstring; ``cells``: text as in the
#: file, aligned to the header (missing cells are ""); ``errors``: the row's structural errors
#: (ragged row, unterminated quote). A plain tuple: a million of them are made per million rows.
RawRow = tuple[int, list[str], list[FieldError]]


NO_ERRORS: list[FieldError] = []  # shared by the rows without structural errors: never appended to


@dataclass
class InputFile:
    """A registry file, header checked. ``rows_estimate`` is an upper bound of the
    data rows (CSV: line ends; may be None); ``list_separators`` split list cells."""

    path: Path | None
    format: str                      # csv | xlsx | parquet
    header: list[str]
    sha256: str
    size: int
    rows_estimate: int | None
    list_separators: str
    _source: bytes | None = field(default=None, repr=False)
    _encoding: str = "utf-8-sig"
    _delimiter: str = ","

    def rows(self) -> Iterator[RawRow]:
        if self.format == "csv":
            return self._csv_rows()
        if self.format == "xlsx":
            return self._xlsx_rows()
        return self._parquet_rows()

    # -- CSV ------------------------------------------------------------------
    def _text(self) -> io.TextIOBase:
        raw: io.BufferedIOBase
        if self._source is not None:
            raw = io.BytesIO(self._source)
        else:
            assert self.path is not None  # without its bytes, an input is a file
            raw = open(self.path, "rb")
        # newline="": the csv module sees \r, \n and \r\n itself (quoted cells may hold them)
        return io.TextIOWrapper(raw, encoding=self._encoding, newline="")

    def _reader(self, lines):
        # csv's own cell limit: a line is at most MAX_LINE characters, so only a quoted cell spanning
        # lines can reach it; then it is that row's error (an oversize cell below it is, too: rows.py)
        csv.field_size_limit(max(MAX_LINE, csv.field_size_limit()))
        return csv.reader(lines, delimiter=self._delimiter, strict=True)

    def _csv_rows(self) -> Iterator[RawRow]:
        width = len(self.header)
        long_lines: list[tuple[int, int]] = []
        with self._text() as text:
            reader = self._reader(_bounded_lines(text, long_lines))
            next(reader, None)  # the header, checked by open_input
            line = reader.line_num
            while True:
                start = line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    reason = str(exc)
                    line = reader.line_num
                    if "field larger than field limit" in reason:  # the rest of the line is skipped
                        yield start, [""] * width, [FieldError("", f"a cell longer than {MAX_LINE:,} characters "
                                                                    "(MAX_LINE)")]
                        continue
                    if "unexpected end of data" in reason or "EOF" in reason:
                        reason = ("unterminated quote: the cell opened with \" never closes "
                                  "(the rest of the file is in it)")
                    yield start, [""] * width, [FieldError("", reason)]
                    return  # the reader cannot resynchronise after a broken quote
                line = reader.line_num
                if long_lines:  # a line of this row was too long: never parsed, the row is an error
                    mine = [(n, size) for n, size in long_lines if n <= line]
                    del long_lines[:len(mine)]
                    if mine:
                        yield start, [""] * width, [FieldError(
                            "", f"line {n} too long ({size:,} characters, at most {MAX_LINE:,}: MAX_LINE)",
                            value=size) for n, size in mine]
                        continue
                if not "".join(cells).strip():
                    continue  # blank line
                if len(cells) != width:
                    errors = [FieldError("", f"{len(cells)} cells, the header has {width} columns",
                                         value=len(cells))]
                    cells = (cells + [""] * width)[:width]
                else:
                    errors = NO_ERRORS
                yield start, cells, errors

    # -- XLSX -----------------------------------------------------------------
    def _xlsx_rows(self) -> Iterator[RawRow]:
        width = len(self.header)
        assert self.path is not None  # an XLSX input is a file
        with _open_sheet(self.path) as sheet:
            for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
                if number == 1:
                    continue
                cells = [_cell_text(v) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                if not cells:
                    continue  # blank row
                errors = []
                if len(cells) > width:
                    errors.append(FieldError("", f"{len(cells)} cells, the header has {width} columns",
                                             value=len(cells)))
                yield number, (cells + [""] * width)[:width], errors

    # -- Parquet --------------------------------------------------------------
    def _parquet_rows(self) -> Iterator[RawRow]:
        import pyarrow.parquet as pq
        number = 1
        with pq.ParquetFile(self.path) as pf:
            for batch in pf.iter_batches(batch_size=65_536, columns=self.header):
                columns = [[_cell_text(v) for v in col.to_pylist()] for col in batch.columns]
                for cells in zip(*columns):
                    number += 1
                    if any(cells):
                        yield number, list(cells), NO_ERRORS


def _bounded_lines(text: io.TextIOBase, long_lines: list[tuple[int, int]]) -> Iterator[str]:
    """The physical lines of ``text`` (line ends kept), none over MAX_LINE characters: a longer
    one is read to its end in pieces, replaced by an empty line and noted in ``long_lines`` as
    (line number, characters), so the parser never holds it and the lines after it are read."""
    number = 0
    while line := text.readline(MAX_LINE + 2):
        number += 1
        if len(line) > MAX_LINE and len(line.rstrip("\r\n")) > MAX_LINE:
            size = len(line.rstrip("\r\n"))
            while not line.endswith(("\n", "\r")):
                line = text.readline(BLOCK)
                if not line:
                    break
                size += len(line.rstrip("\r\n"))
            long_lines.append((number, size))
            yield "\n"
        else:
            yield line


def _cell_text(value) -> str:
    """A spreadsheet or Parquet value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(_cell_text(v) for v in value)
    return str(value).strip()


def _file_error(reason: str, value=None) -> InvalidInput:
    return InvalidInput([FieldError("file", reason, value=value)])


def _too_many_columns(n: int) -> InputTooLarge:
    return InputTooLarge([FieldError("file", f"{n:,} columns in the header; at most {MAX_COLUMNS} (MAX_COLUMNS)",
                                     value=n)])


def check_header(header: list[str]) -> None:
    """Raise InvalidInput (field ``file``) for unknown or duplicate columns or no ``ateco``;
    InputTooLarge beyond MAX_COLUMNS columns. Linear in the header."""
    if len(header) > MAX_COLUMNS:
        raise _too_many_columns(len(header))
    dupes = sorted(h for h, n in Counter(header).items() if n > 1)
    unknown = [c for c in header if c not in _KNOWN]
    errors = []
    if dupes:
        errors.append(FieldError("file", "duplicate columns in the header", value=dupes))
    if unknown:
        errors.append(FieldError("file", f"unknown columns; columns must be among {list(COLUMNS)}", value=unknown))
    if not header or C.IN_ATECO not in header:
        errors.append(FieldError("file", "the header must name an 'ateco' column", value=header))
    if errors:
        raise InvalidInput(errors)


def sniff_format(head: bytes) -> str:
    """csv | xlsx | parquet from a file's first bytes."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    return "csv"


def open_input(source: Path | str | bytes, max_rows: int | None = None) -> InputFile:
    """The registry file at ``source`` (a path, or the bytes of a small CSV), header checked.

    Raises :class:`InvalidInput` (field ``file``) when the file cannot be read as a whole,
    :class:`InputTooLarge` beyond a size limit. ``max_rows``: an XLSX sheet's rows are
    counted only until there are more (``rows_estimate`` is then ``max_rows + 1``)."""
    if isinstance(source, (bytes, bytearray)):
        return _open_csv(None, bytes(source))
    path = Path(source)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise _file_error(f"cannot read the file: {exc.strerror}") from None
    fmt = sniff_format(head)
    if fmt == "parquet":
        return _open_parquet(path)
    if fmt == "xlsx":
        return _open_xlsx(path, max_rows)
    return _open_csv(path, None)


def _scan(path: Path | None, data: bytes | None) -> tuple[str, int, int, str]:
    """One pass over the bytes: sha256, size, line ends, and the encoding
    (UTF-8 if the whole file decodes as UTF-8, else Windows-1252, else latin-1)."""
    digest, size, lines = hashlib.sha256(), 0, 0
    nul = False
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    ok = {"utf-8": True, "cp1252": True}
    if data is not None:
        blocks = iter([data])
    else:
        assert path is not None  # one of them is given
        blocks = _blocks(path)
    last = b""
    for block in blocks:
        digest.update(block)
        size += len(block)
        lines += max(block.count(b"\n"), block.count(b"\r"))
        nul = nul or b"\x00" in block
        for name, dec in (("utf-8", utf8), ("cp1252", cp1252)):
            if ok[name]:
                try:
                    dec.decode(block)
                except UnicodeDecodeError:
                    ok[name] = False
        last = block[-1:] if block else last
    for name, dec in (("utf-8", utf8), ("cp1252", cp1252)):
        if ok[name]:
            try:
                dec.decode(b"", final=True)
            except UnicodeDecodeError:
                ok[name] = False
    if nul:
        raise _file_error("contains a NUL character (not a text CSV file?)")
    if last not in (b"\n", b"\r", b""):
        lines += 1  # the last line has no line end
    encoding = "utf-8-sig" if ok["utf-8"] else "cp1252" if ok["cp1252"] else "latin-1"
    return digest.hexdigest(), size, lines, encoding


def _blocks(path: Path):
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            yield block


def _open_csv(path: Path | None, data: bytes | None) -> InputFile:
    sha, size, lines, encoding = _scan(path, data)
    inp = InputFile(path, "csv", [], sha, size, max(lines - 1, 0), "", _source=data, _encoding=encoding)
    with inp._text() as text:  # the header line, bounded: checked before it is parsed
        first = text.readline(MAX_HEADER_CHARS + 3)
    first = first[1:] if first.startswith("\ufeff") else first
    if len(first.rstrip("\r\n")) > MAX_HEADER_CHARS:
        raise InputTooLarge([FieldError("file", f"header line longer than {MAX_HEADER_CHARS:,} characters "
                                                "(MAX_HEADER_CHARS)", value=MAX_HEADER_CHARS)])
    semicolons, commas = first.count(";"), first.count(",")
    inp._delimiter = ";" if semicolons > commas else ","
    inp.list_separators = ("," if inp._delimiter == ";" else ";") + "|"  # lists use the other separator
    if max(semicolons, commas) + 1 > MAX_COLUMNS:  # an upper bound of the columns, before parsing
        raise _too_many_columns(max(semicolons, commas) + 1)
    try:
        header: list[str] = next(inp._reader([first]), [])
    except csv.Error:
        header = []
    inp.header = [h.strip().lstrip("\ufeff").strip() for h in header]
    check_header(inp.header)
    return inp


def _file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for block in _blocks(path):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def _unreadable_xlsx(exc: BaseException) -> InvalidInput:
    return _file_error(f"not a readable XLSX workbook ({type(exc).__name__})")


def _check_archive(path: Path) -> None:
    """The zip's declared sizes (zipfile never inflates a part past its declared size): at most
    MAX_XLSX_UNZIPPED bytes in all, no part over 1 MiB expanding more than MAX_XLSX_RATIO times."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable_xlsx(exc) from None
    total = sum(p.file_size for p in parts)
    if total > MAX_XLSX_UNZIPPED:
        raise InputTooLarge([FieldError("file", f"the workbook holds {total:,} bytes uncompressed; at most "
                                                f"{MAX_XLSX_UNZIPPED:,} (MAX_XLSX_UNZIPPED)", value=total)])
    for p in parts:
        if p.file_size > 1 << 20 and p.file_size > MAX_XLSX_RATIO * max(p.compress_size, 1):
            ratio = p.file_size // max(p.compress_size, 1)
            raise InputTooLarge([FieldError("file", f"part {p.filename!r} of the workbook expands {ratio:,} times "
                                                    f"({p.file_size:,} bytes); at most {MAX_XLSX_RATIO} times "
                                                    "(MAX_XLSX_RATIO): not a spreadsheet, a zip bomb?",
                                            value=ratio)])


def _ignore_dimensions(sheet) -> None:
    """In place of openpyxl's ReadOnlyWorksheet._get_size: the sheet stays unsized (every row read)."""


@contextmanager
def _open_sheet(path: Path):
    """The workbook's first sheet, streamed (read_only), its dimensions ignored: opened by content
    (openpyxl checks a path's extension; a job's upload has none), after :func:`_check_archive`."""
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    if not openpyxl.DEFUSEDXML:  # e.g. OPENPYXL_DEFUSEDXML=False: never parse uploads without it
        raise RuntimeError("openpyxl is not using defusedxml: refusing to parse an uploaded workbook")
    # openpyxl 3.1 reads each sheet's <dimension> when opening a workbook (read_only), parsing the
    # whole sheet when there is none; a lying one hides rows (min_row, max_row). Never read it here.
    ReadOnlyWorksheet._get_size = _ignore_dimensions
    _check_archive(path)
    with open(path, "rb") as f:
        try:
            book = openpyxl.load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for a damaged file
            raise _unreadable_xlsx(exc) from None
        try:
            if not book.worksheets:
                raise _file_error("the workbook has no sheet")
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # read every row, whatever <dimension> claims
            yield sheet
        finally:
            book.close()


# The sheet's XML scanned as bytes (C-speed regular expressions; the XML itself is parsed by openpyxl,
# defusedxml guarding it): tags with any namespace prefix; <row>, <c> and <v>/<is> (a cell's value)
_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ROW = re.compile(_PREFIX + rb"row[\s/>]")
_CELL = re.compile(_PREFIX + rb"c[\s/>]")
_VALUE = re.compile(_PREFIX + rb"(?:v|is)[\s>]")
_ROW_NUMBER = re.compile(rb'\sr\s*=\s*["\']([^"\']*)["\']')
MAX_ROW_XML = 16 << 20  # bytes of one <row> element's XML


def _count_rows(path: Path, sheet, max_rows: int | None) -> int:
    """Rows of the sheet holding a value, counted from its XML as it inflates (never from its
    <dimension>), until more than ``max_rows`` + 1; InputTooLarge for a row of more than
    MAX_CELLS_PER_ROW cells or numbered past MAX_SHEET_ROW."""
    rows = 0

    def row(xml: bytes) -> None:
        nonlocal rows
        tag = xml[:xml.find(b">") + 1]
        number = _ROW_NUMBER.search(tag)
        if number and not (number[1].isdigit() and int(number[1]) <= MAX_SHEET_ROW):
            raise InputTooLarge([FieldError("file", f"sheet row number {number[1][:20].decode('latin-1')!r}; at "
                                                    f"most {MAX_SHEET_ROW:,} (MAX_SHEET_ROW)")])
        _check_cells(xml)
        rows += _VALUE.search(xml) is not None

    def _check_cells(xml: bytes) -> None:
        cells = len(_CELL.findall(xml))
        if cells > MAX_CELLS_PER_ROW or len(xml) > MAX_ROW_XML:
            raise InputTooLarge([FieldError("file", f"row {rows + 2} or later of the sheet has more than "
                                                    f"{MAX_CELLS_PER_ROW:,} cells (MAX_CELLS_PER_ROW) or "
                                                    f"{MAX_ROW_XML:,} bytes of XML")])

    pending = b""  # from the start of the row not yet complete (or of the part, before the first row)
    # openpyxl 3.1 keeps the sheet's part name in _worksheet_path (read-only sheets)
    with zipfile.ZipFile(path) as archive, archive.open(sheet._worksheet_path) as part:
        while True:
            block = part.read(BLOCK)
            buf = pending + block
            starts = [m.start() for m in _ROW.finditer(buf)]
            if not block:
                starts.append(len(buf))  # the last row ends with the part
            for a, b in zip(starts, starts[1:]):
                row(buf[a:b])
                if max_rows is not None and rows > max_rows + 1:
                    return rows
            if not block:
                return rows
            pending = buf[starts[-1]:] if starts else buf[-64:]
            if starts:
                _check_cells(pending)


def _open_xlsx(path: Path, max_rows: int | None = None) -> InputFile:
    sha, size = _file_digest(path)
    try:
        with _open_sheet(path) as sheet:
            rows = _count_rows(path, sheet, max_rows)
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
    except (InvalidInput, RuntimeError):
        raise
    except Exception as exc:  # a damaged or hostile sheet: EntitiesForbidden, ParseError, zipfile errors...
        raise _unreadable_xlsx(exc) from None
    header = [_cell_text(v) for v in first]
    while header and header[-1] == "":
        header.pop()
    check_header(header)
    return InputFile(path, "xlsx", header, sha, size, max(rows - 1, 0), ",;|")


def _open_parquet(path: Path) -> InputFile:
    import pyarrow.parquet as pq
    sha, size = _file_digest(path)
    try:
        with pq.ParquetFile(path) as pf:
            header, estimate = list(pf.schema_arrow.names), pf.metadata.num_rows
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... for a damaged file
        raise _file_error(f"not a readable Parquet file ({type(exc).__name__})") from None
    check_header(header)
    return InputFile(path, "parquet", header, sha, size, estimate, ",;|")
