"""Reference tables: provinces, districts, sectors, restricted markets."""

import shutil

import pandas as pd
import pytest

from recommender.data import load_table
from recommender.data.__main__ import main as data_main


def test_107_provinces():
    p = load_table("provinces")
    assert len(p) == 107 and p["sigla"].is_unique and p["nuts3"].is_unique
    assert set(p.loc[p["sigla"].isin(["MO", "RE"]), "region"]) == {"Emilia-Romagna"}
    mo = p.set_index("sigla").loc["MO"]
    assert (mo["name"], mo["code"], mo["nuts3"]) == ("Modena", "036", "ITH54")
    assert p.set_index("sigla").loc["NA", "name"] == "Napoli"  # "NA" is a sigla, not a missing value
    assert p["n_comuni"].sum() > 7800  # every Italian comune belongs to one province


def test_districts_programme_and_curated():
    d = load_table("districts")
    assert (d["origin"] == "dsw2013").sum() == 20
    assert (d["origin"] == "curated").sum() >= 25
    provinces = set(load_table("provinces")["sigla"])
    assert all(set(ps.split(";")) <= provinces for ps in d["provinces"])
    prato = d[d["slug"] == "tessile-di-prato"].iloc[0]
    assert prato["provinces"] == "PO" and "13" in prato["ateco_divisions"].split(";")
    divisions = set(load_table("sectors")["ateco_division"])
    assert all(set(ds.split(";")) <= divisions for ds in d["ateco_divisions"])


def test_no_curated_district_repeats_a_programme_district():
    d = load_table("districts")
    programme = d[d["origin"] == "dsw2013"]
    curated = d[d["origin"] == "curated"]
    keys = set(zip(programme["provinces"], programme["ateco_divisions"]))
    assert not [k for k in zip(curated["provinces"], curated["ateco_divisions"]) if k in keys]
    sassuolo = d[d["name"].str.contains("Sassuolo")]
    assert list(sassuolo["origin"]) == ["dsw2013"] and sassuolo.iloc[0]["provinces"] == "MO;RE"


def test_sectors_cover_every_ateco_division():
    import ateco
    s = load_table("sectors").set_index("ateco_division")
    assert len(s) == 88
    for div, row in s.iterrows():  # every row is a division of the editions it claims
        for ed in ("2007", "2022", "2025"):
            node = ateco.lookup(div, edition=ed)
            assert (node is not None and node.level == "division") == row[f"in_{ed}"], (div, ed)
    assert s.loc["14", "name_it"] == "Fabbricazione di articoli di abbigliamento"
    assert s.loc["14", "name_en"] == "Manufacture of wearing apparel" and s.loc["14", "section"] == "C"
    assert s.loc["30", "icio_sectors"] == "C301;C302T309" and s.loc["62", "icio_sectors"] == "J62_63"
    assert pd.isna(s.loc["62", "model_sector"]) and pd.isna(s.loc["99", "icio_sectors"])
    assert s.loc["23", "model_sector"] == "C23" and s.loc["24", "icio_sectors"] == "C24A;C24B"
    assert s.loc["45", "in_2025"] == False and s.loc["45", "in_2022"] == True  # noqa: E712
    manufacturing = s[s["section"] == "C"]
    assert manufacturing["model_sector"].notna().all()


def test_restricted_markets():
    r = load_table("restricted_markets").set_index("iso3")
    assert r.loc["RUS", "level"] == "embargo" and r.loc["PRK", "level"] == "embargo"
    assert r.loc["IRN", "level"] == "partial"
    assert r.loc["BLR", "level"] == "embargo" and r.loc["SYR", "level"] == "partial"
    assert r.loc["RUS", "legal_basis"].startswith("Council Regulation (EU) No 833/2014")
    assert (r["as_of"] == "2025-10-01").all()


def _raw_copy(tmp_path, relative: str, line: int, old: str, new: str):
    """A raw folder holding only ``relative``, copied from the real one with one edit on ``line``."""
    from recommender import config
    src = (config.raw_dir() / relative).read_text(encoding="utf-8-sig").splitlines()
    assert old in src[line - 1]
    src[line - 1] = src[line - 1].replace(old, new)
    dest = tmp_path / "raw" / relative
    dest.parent.mkdir(parents=True)
    dest.write_text("\n".join(src) + "\n")
    return tmp_path / "raw"


@pytest.mark.rawdata
def test_district_with_unknown_province_fails_the_build_with_file_and_line(tmp_path, capsys):
    # line 6 is Ittico di Rovigo
    raw = _raw_copy(tmp_path, "districts/distretti_sul_web_2013.csv", 6, ",RO,", ",ZQ,")
    code = data_main(["build", "--raw-dir", str(raw), "--data-dir", str(tmp_path / "out"), "--only", "districts"])
    err = capsys.readouterr().err
    assert code == 1
    assert "distretti_sul_web_2013.csv, line 6, column 'provinces'" in err and "ZQ" in err
    assert not (tmp_path / "out" / "districts.csv").exists()
    shutil.rmtree(raw)


@pytest.mark.rawdata
def test_district_with_unknown_ateco_division_fails_the_build(tmp_path):
    from recommender.data.builders.districts import build
    from recommender.errors import DataError
    # line 10 is Piastrelle di Sassuolo (division 23)
    raw = _raw_copy(tmp_path, "districts/distretti_sul_web_2013.csv", 10, ",23", ",04")
    with pytest.raises(DataError) as err:
        build(raw, {})
    assert (err.value.row, err.value.column) == (10, "ateco_divisions") and "'04'" in err.value.reason


@pytest.mark.rawdata
def test_sector_builder_rejects_a_division_ateco_does_not_know(tmp_path, monkeypatch):
    from recommender import config
    from recommender.data.builders import sectors
    from recommender.errors import DataError
    bad = tmp_path / "ateco_division_icio.csv"
    lines = sectors.CURATED.read_text().splitlines()
    lines.insert(4, "04,Not a division,A01")  # becomes line 5
    bad.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(sectors, "CURATED", bad)
    with pytest.raises(DataError) as err:
        sectors.build(config.raw_dir(), {})
    assert (err.value.path, err.value.row, err.value.column) == (bad, 5, "division")
