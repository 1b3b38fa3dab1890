"""Registry scoring from the library and the command line (recommender.batch):
the compact result is recommend()'s, bad rows land in the errors file with
their line, field and reason, a run interrupted and restarted writes the same
bytes as an uninterrupted one, and XLSX, Parquet and parallel runs agree."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from recommender import columns as C
from recommender.batch import score_file
from recommender.model.artifact import load_current
from recommender.recommend import FirmProfile, Recommender

# real firms' kinds of profiles (not random): a ceramic tile maker, a Prato weaver, a valve maker...
GOOD = [
    ("Ceramiche Rossi", "23.31", "MO", "", "", "2", "DE,FR", "", ""),
    ("Tessitura Città", "13.20", "Prato", "", "", "1", "", "", "en"),
    ("Rubinetterie Né", "28.14", "", "metalli-di-lumezzane", "", "3", "", "", ""),
    ("Mobili Brianza", "31.09", "MB", "", "b2c", "4", "", "RUS", "en,de"),
    ("Pastificio Sud", "10.73", "BA", "", "both", "2", "US", "", ""),
]
HEADER = "name;ateco;province;district;customer_type;maturity_level;current_markets;excluded_markets;languages"


@pytest.fixture(scope="module")
def rec():
    return Recommender(load_current())


def italian_csv(path, rows=GOOD, bad=True, repeat=1):
    """An Italian Excel export: ';', Windows-1252, CRLF; with bad rows at lines 4, 7 and 8 when ``bad``."""
    lines = [HEADER]
    for i in range(repeat):
        for n, r in enumerate(rows):
            lines.append(";".join((f"{r[0]} {i}" if repeat > 1 else r[0], *r[1:])))
            if bad and i == 0 and n == 1:
                lines.append("Ditta Sbagliata;99.99;XX;;;9;;;")            # line 4: three bad fields
    if bad:
        lines += ["Riga Corta;23.31", "Senza Maturità;23.31;MO;;;;;;"]    # lines 8, 9 (repeat=1)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_compact_result_is_recommends_and_bad_rows_are_named(tmp_path, rec):
    src = italian_csv(tmp_path / "registry.csv")
    s = score_file(src, tmp_path / "out.csv", k=5, recommender=rec, progress_bar=False)
    assert (s.rows, s.ok, s.rejected) == (8, 5, 3)
    out = pcsv.read_csv(tmp_path / "out.csv").to_pylist()
    assert len(out) == 5 * 5
    header = HEADER.split(";")
    for line, r in zip((2, 3, 5, 6, 7), GOOD):
        data = {h: v for h, v in zip(header, r) if v}
        for fld in ("current_markets", "excluded_markets", "languages"):
            if fld in data:
                data[fld] = data[fld].split(",")
        full = rec.recommend(FirmProfile.from_dict(data), k=5)
        mine = [o for o in out if o[C.ROW] == line]
        assert [o[C.NAME] for o in mine] == [r[0]] * 5
        assert [(o[C.RANK], o[C.MARKET], o[C.SCORE], o[C.HORIZON], o[C.NEEDS_LEVEL], o[C.STATUS]) for o in mine] == \
               [(m["rank"], m["iso3"], m["score"], m["horizon"], m["needs_level"], m["status"])
                for m in full["markets"]]
        assert [o[C.PEERS] for o in mine] == [m["parts"]["peers"] for m in full["markets"]]
        assert [o[C.CHANNELS] for o in mine] == [";".join(c["channel_id"] for c in m["channels"])
                                                 for m in full["markets"]]
        assert {o[C.MODEL_VERSION] for o in mine} == {rec.model.version}
    assert any(o[C.STATUS] == "expand" for o in out if o[C.ROW] == 2)            # DE, FR served already
    assert not any(o[C.MARKET] == "RUS" for o in out if o[C.ROW] == 6)          # excluded

    errors = pcsv.read_csv(tmp_path / "out.errors.csv").to_pylist()
    by_line = {}
    for e in errors:
        by_line.setdefault(e[C.ROW], set()).add(e[C.FIELD] or "")
    assert by_line == {4: {"ateco", "province", "maturity_level"}, 8: {"", "province", "maturity_level"},
                       9: {"maturity_level"}}
    bad = next(e for e in errors if e[C.ROW] == 4 and e[C.FIELD] == "province")
    assert bad[C.NAME] == "Ditta Sbagliata" and bad[C.ERROR_VALUE] == "XX" and "province" in bad[C.REASON]
    assert "cells" in next(e for e in errors if e[C.ROW] == 8 and not e[C.FIELD])[C.REASON]


class Interrupt(Exception):
    pass


def test_an_interrupted_run_resumes_to_the_same_bytes(tmp_path, rec):
    src = italian_csv(tmp_path / "registry.csv", repeat=40)   # 201 rows, chunks of 30
    whole = score_file(src, tmp_path / "whole.parquet", chunk_rows=30, recommender=rec, progress_bar=False)

    def stop_after_three(progress):
        if progress.chunks == 3:
            raise Interrupt

    with pytest.raises(Interrupt):
        score_file(src, tmp_path / "again.parquet", chunk_rows=30, recommender=rec, on_chunk=stop_after_three,
                   progress_bar=False)
    assert not (tmp_path / "again.parquet").exists()                        # never half-written
    resumed = score_file(src, tmp_path / "again.parquet", chunk_rows=30, recommender=rec, progress_bar=False)
    assert resumed.resumed_chunks == 3 and resumed.chunks == whole.chunks == 7
    assert (resumed.rows, resumed.ok, resumed.rejected) == (whole.rows, whole.ok, whole.rejected) == (203, 200, 3)
    assert (tmp_path / "again.parquet").read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert (tmp_path / "again.errors.parquet").read_bytes() == (tmp_path / "whole.errors.parquet").read_bytes()
    assert not (tmp_path / "again.parquet.parts").exists()

    # other arguments than the interrupted run's: its parts are not reused
    with pytest.raises(Interrupt):
        score_file(src, tmp_path / "k3.parquet", k=3, chunk_rows=30, recommender=rec, on_chunk=stop_after_three,
                   progress_bar=False)
    other = score_file(src, tmp_path / "k3.parquet", k=5, chunk_rows=30, recommender=rec, progress_bar=False)
    assert other.resumed_chunks == 0
    assert pq.read_table(tmp_path / "k3.parquet").num_rows == 200 * 5


def test_xlsx_parquet_and_parallel_runs_agree(tmp_path, rec):
    from openpyxl import Workbook
    src = italian_csv(tmp_path / "registry.csv", bad=False)
    header = HEADER.split(";")
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for r in GOOD:
        sheet.append([int(v) if f == "maturity_level" else v for f, v in zip(header, r)])
    book.save(tmp_path / "registry.xlsx")
    pq.write_table(pa.table({h: [r[i] for r in GOOD] for i, h in enumerate(header)}), tmp_path / "registry.parquet")

    base = score_file(src, tmp_path / "csv.parquet", recommender=rec, progress_bar=False)
    assert base.ok == 5
    expected = pq.read_table(tmp_path / "csv.parquet")
    for name in ("registry.xlsx", "registry.parquet"):
        s = score_file(tmp_path / name, tmp_path / f"{name}.out.parquet", recommender=rec, progress_bar=False)
        assert (s.ok, s.rejected) == (5, 0), name
        assert pq.read_table(tmp_path / f"{name}.out.parquet").equals(expected), name

    parallel = score_file(src, tmp_path / "parallel.parquet", workers=2, chunk_rows=2, progress_bar=False)
    assert parallel.chunks == 3
    score_file(src, tmp_path / "serial.parquet", workers=1, chunk_rows=2, recommender=rec, progress_bar=False)
    assert (tmp_path / "parallel.parquet").read_bytes() == (tmp_path / "serial.parquet").read_bytes()


def test_command_line(tmp_path):
    src = italian_csv(tmp_path / "registry.csv")
    run = subprocess.run([sys.executable, "-m", "recommender.batch", str(src), str(tmp_path / "out.parquet"),
                          "--k", "3", "--lang", "en", "--workers", "1"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "8 rows: 5 scored, 3 rejected" in run.stderr
    out = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert len(out) == 15 and out[0][C.MARKET_NAME] == "United States"
    assert pq.read_table(tmp_path / "out.errors.parquet").num_rows == 7

    (tmp_path / "bad.csv").write_text("ateco;provincia\n23.31;MO\n")
    run = subprocess.run([sys.executable, "-m", "recommender.batch", str(tmp_path / "bad.csv"),
                          str(tmp_path / "bad.parquet")], capture_output=True, text=True)
    assert run.returncode == 2 and "unknown columns" in run.stderr and "provincia" in run.stderr
    assert not (tmp_path / "bad.parquet").exists()
