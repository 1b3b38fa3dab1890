"""The committed derived tables: real values, schemas, and the build itself."""

import gzip
import shutil

import numpy as np
import pytest

from recommender import columns as C
from recommender.data import TABLES, load_table
from recommender.data.__main__ import build_all, main as data_main
from recommender.data.tables import sha256_file, table_path
from recommender.errors import DataError


@pytest.fixture(scope="module")
def countries():
    return load_table("countries").set_index("iso3")


def test_countries_cover_the_80_icio_countries_with_real_values(countries):
    assert len(countries) == 80 and "ROW" not in countries.index
    de = countries.loc["DEU"]
    assert de["name_it"] == "Germania" and de["iso2"] == "DE" and de["continent"] == "Europe"
    assert 4.0e12 < de["gdp_usd"] < 4.8e12 and de["gdp_year"] == 2023  # World Bank: USD 4.46 tn in 2023
    assert de["eu_member"] and de["euro_member"] and de["trade_regime"] == "eu_single_market"
    assert countries.loc["FRA", "contig_ita"] == 1 and countries.loc["DEU", "contig_ita"] == 0
    assert countries.loc["CHE", "efta_member"] and not countries.loc["CHE", "eu_member"]
    assert countries.loc["JPN", "trade_regime"] == "fta" and countries.loc["JPN", "eu_agreement_year"] == 2019
    assert countries.loc["USA", "trade_regime"] == "none"
    assert countries.loc["BGR", "euro_member"]  # euro since 1 January 2026
    assert countries.loc["ITA", "online_purchase_pct"] == 56  # Findex 2021


def test_old_cepii_codes_are_fixed(countries):
    assert "ROU" in countries.index and "ROM" not in countries.index
    assert not np.isnan(countries.loc["ROU", "distw_km_ita"]) and not np.isnan(countries.loc["ROU", "lpi_score"])
    assert countries.loc["COD", "capital"] == "Kinshasa"


def test_missing_values_stay_missing_and_are_flagged(countries):
    tw = countries.loc["TWN"]  # the World Bank publishes nothing for Taiwan
    assert np.isnan(tw["gdp_usd"]) and "gdp_usd" in tw["missing_fields"]
    assert isinstance(countries.loc["DEU", "missing_fields"], float)  # NaN: nothing missing


def test_flows_keep_rest_of_world_and_domestic_apart():
    f = load_table("flows")
    assert set(f[C.SOURCE]) == {C.ICIO2022, C.WIOD2013}
    row = f[(f[C.IMPORTER] == "ROW") & (f[C.EXPORTER] != "ROW")]
    assert len(row) and (row[C.PARTNER] == C.REST_OF_WORLD).all()
    assert not (f[f[C.IMPORTER] == "ROW"][C.PARTNER] == C.FOREIGN).any()  # never a market
    dom = f[f[C.EXPORTER] == f[C.IMPORTER]]
    assert len(dom) and (dom[C.PARTNER] == C.DOMESTIC).all()
    icio = f[f[C.SOURCE] == C.ICIO2022]
    assert set(icio[C.DEMAND]) == {C.INTERMEDIATE} and (icio[C.PARTNER] == C.FOREIGN).all()
    # spot check from the data README: ITA textiles (c4) -> FRA 2011 households = 1845; c4+c5 = 3346
    v = f[(f[C.SOURCE] == C.WIOD2013) & (f[C.YEAR] == 2011) & (f[C.EXPORTER] == "ITA") & (f[C.IMPORTER] == "FRA")
          & (f[C.SECTOR] == "C13T15") & (f[C.DEMAND] == C.HOUSEHOLD)][C.VALUE]
    assert v.item() == 3346.0
    assert "ROM" not in set(f[C.EXPORTER])


def test_esales_has_channel_shares():
    e = load_table("esales")
    it = e[(e["geo"] == "IT") & (e["indicator"] == "E_AWS_CMP") & (e["size_class"] == "10-49")]
    assert len(it) and it["pct_enterprises"].between(0, 100).all() and set(it["iso3"]) == {"ITA"}


def test_every_committed_table_validates():
    for name in TABLES:
        if table_path(name).exists():
            assert len(load_table(name)) > 0, name


def test_a_hand_edited_table_fails_with_file_line_and_column(tmp_path):
    src = table_path("countries").read_text().splitlines()
    src[3] = src[3].replace(src[3].split(",")[0], "xx", 1)  # line 4 of the file
    (tmp_path / "countries.csv").write_text("\n".join(src) + "\n")
    with pytest.raises(DataError) as err:
        load_table("countries", tmp_path)
    assert err.value.row == 4 and err.value.column == "iso3" and "countries.csv" in str(err.value)


@pytest.mark.rawdata
def test_build_is_deterministic_and_matches_the_committed_tables(tmp_path):
    from recommender import config
    build_all(config.raw_dir(), tmp_path, only=["countries", "flows"], progress=False)
    for name in ("countries", "country_year", "pairs", "flows", "esales"):
        assert sha256_file(tmp_path / TABLES[name].filename) == sha256_file(table_path(name)), name


@pytest.mark.rawdata
def test_corrupted_raw_file_fails_the_build_with_file_and_line(tmp_path, capsys):
    from recommender import config
    raw = tmp_path / "raw"
    shutil.copytree(config.raw_dir(), raw, ignore=shutil.ignore_patterns("original_rdata"))
    path = raw / "icio2022" / "icio2022_intermediate_bilateral_by_sector.csv.gz"
    with gzip.open(path, "rt") as fh:
        lines = fh.read().splitlines()
    lines[9] = "C28,ITA,FRA,not-a-number"
    path.chmod(0o644)
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    code = data_main(["build", "--raw-dir", str(raw), "--data-dir", str(tmp_path / "out"), "--only", "flows"])
    err = capsys.readouterr().err
    assert code == 1
    assert "icio2022_intermediate_bilateral_by_sector.csv.gz, line 10" in err and "interm_flow_musd_2022" in err


def test_build_cli_reports_a_missing_raw_folder(tmp_path, capsys):
    assert data_main(["build", "--raw-dir", str(tmp_path / "none"), "--data-dir", str(tmp_path)]) == 2
    assert "raw data folder not found" in capsys.readouterr().err
