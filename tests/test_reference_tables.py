"""Reference tables: provinces, districts, sectors, restricted markets."""

import shutil

import pytest

from recommender.data import load_table
from recommender.data.__main__ import main as data_main


def test_107_provinces():
    p = load_table("provinces")
    assert len(p) == 107 and p["sigla"].is_unique
    assert set(p.loc[p["sigla"].isin(["MO", "RE"]), "region"]) == {"Emilia-Romagna"}


def test_districts_programme_and_curated():
    d = load_table("districts")
    assert (d["origin"] == "dsw2013").sum() == 20
    assert (d["origin"] == "curated").sum() >= 25
    provinces = set(load_table("provinces")["sigla"])
    assert all(set(ps.split(";")) <= provinces for ps in d["provinces"])
    prato = d[d["slug"] == "tessile-di-prato"].iloc[0]
    assert prato["provinces"] == "PO" and "13" in prato["ateco_divisions"].split(";")


def test_sectors_cover_every_ateco_division():
    s = load_table("sectors").set_index("ateco_division")
    assert len(s) == 88
    assert s.loc["23", "model_sector"] == "C23" and s.loc["24", "icio_sectors"] == "C24A;C24B"
    assert s.loc["45", "in_2025"] == False and s.loc["45", "in_2022"] == True  # noqa: E712
    manufacturing = s[s["section"] == "C"]
    assert manufacturing["model_sector"].notna().all()


def test_restricted_markets():
    r = load_table("restricted_markets").set_index("iso3")
    assert r.loc["RUS", "level"] == "embargo" and r.loc["PRK", "level"] == "embargo"
    assert r.loc["IRN", "level"] == "partial"
    assert r["as_of"].str.match(r"\d{4}-\d{2}-\d{2}").all()


@pytest.mark.rawdata
def test_district_with_unknown_province_fails_the_build_with_file_and_line(tmp_path, capsys):
    from recommender import config
    raw = tmp_path / "raw" / "districts"
    raw.mkdir(parents=True)
    src = (config.raw_dir() / "districts" / "distretti_sul_web_2013.csv").read_text().splitlines()
    src[5] = src[5].replace(",RO,", ",ZQ,")  # line 6: Ittico di Rovigo
    (raw / "distretti_sul_web_2013.csv").write_text("\n".join(src) + "\n")
    code = data_main(["build", "--raw-dir", str(tmp_path / "raw"), "--data-dir", str(tmp_path / "out"),
                      "--only", "districts"])
    err = capsys.readouterr().err
    assert code == 1
    assert "distretti_sul_web_2013.csv, line 6, column 'provinces'" in err and "ZQ" in err
    shutil.rmtree(tmp_path / "raw")
