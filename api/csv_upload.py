"""CSV batches as Chambers export them: comma or semicolon (Italian Excel),
UTF-8 with or without BOM or cp1252/latin-1, CRLF, LF or CR-only line ends.

Contract: every data row of the file comes back as a row (its line number,
its profile or its own errors); nothing is dropped silently. A ragged row,
an oversize cell or an unterminated quote is an error of that row; a bad
header (unknown, missing ``ateco`` or duplicate columns) is an error of the
whole file (ApiProblem 422).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from api.errors import ApiProblem
from recommender.maturity import QUESTION_IDS

CSV_COLUMNS = ["name", "ateco", "province", "district", "customer_type", "maturity_level", "current_markets",
               "excluded_markets", "languages", "employees", *QUESTION_IDS]
LIST_COLUMNS = {"current_markets", "excluded_markets", "languages"}
INT_COLUMNS = {"maturity_level", "employees"}
MAX_CELL = 131_072  # characters; the csv module's own limit, reported per row instead of raised


@dataclass
class CsvRow:
    line: int                       # line number in the file (header is line 1)
    data: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)


def decode(raw: bytes) -> str:
    """UTF-8 (BOM optional), else Windows-1252 (what Excel writes in Italy), else latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _cell(col: str, val: str, list_sep: str):
    if col in LIST_COLUMNS:
        return [x.strip() for x in val.replace("|", list_sep).split(list_sep) if x.strip()]
    if col in INT_COLUMNS and val.lstrip("+-").isdigit():
        return int(val)
    return val


def parse(raw: bytes) -> list[CsvRow]:
    text = decode(raw)
    if "\x00" in text:
        raise ApiProblem(422, "Invalid input", "the CSV contains NUL characters",
                         [{"field": "file", "reason": "contains a NUL character"}])
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delim = _delimiter(first)
    list_sep = "," if delim == ";" else ";"  # lists inside a cell use the other separator
    # csv's own limit is raised so an oversize cell is one row's error, not a crash
    csv.field_size_limit(max(MAX_CELL * 8, csv.field_size_limit()))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delim, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        header = []
    dupes = sorted({h for h in header if header.count(h) > 1})
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if not header or "ateco" not in header or unknown or dupes:
        errors = []
        if dupes:
            errors.append({"field": "file", "reason": "duplicate columns in the header", "value": dupes})
        if unknown:
            errors.append({"field": "file", "reason": f"unknown columns; columns must be among {CSV_COLUMNS}",
                           "value": unknown})
        if not header or "ateco" not in header:
            errors.append({"field": "file", "reason": "the header must name an 'ateco' column", "value": header})
        raise ApiProblem(422, "Invalid input", "bad CSV header", errors)

    rows: list[CsvRow] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason or "EOF" in reason:
                reason = "unterminated quote: the cell opened with \" never closes (the rest of the file is in it)"
            rows.append(CsvRow(start, errors=[{"field": "", "reason": reason}]))
            break  # the reader cannot resynchronise after a broken quote
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        row = CsvRow(start)
        if len(cells) != len(header):
            row.errors.append({"field": "", "reason": f"{len(cells)} cells, the header has {len(header)} columns",
                               "value": len(cells)})
        for col, val in zip(header, cells):
            val = val.strip()
            if len(val) > MAX_CELL:
                row.errors.append({"field": col, "reason": f"cell too long ({len(val)} characters, "
                                                           f"at most {MAX_CELL})"})
            elif val:
                if col in QUESTION_IDS:
                    row.data.setdefault("maturity_answers", {})[col] = val
                else:
                    row.data[col] = _cell(col, val, list_sep)
        rows.append(row)
    return rows
