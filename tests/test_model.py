"""The shipped model: honest metrics, integrity checks, determinism, CLI errors."""

import json
import shutil

import numpy as np
import pytest

from recommender import columns as C
from recommender.errors import ModelError
from recommender.model import artifact
from recommender.model.baselines import BASELINE_NAMES
from recommender.model.ranker import MarketRanker
from recommender.train import main as train_main, promotion_decision
from recommender.training.dataset import build_dataset, group_sizes


@pytest.fixture(scope="module")
def shipped():
    return artifact.load_current()


def test_shipped_model_beats_every_baseline_out_of_exporter(shipped):
    rows = {r["method"]: r for r in shipped.manifest["metrics"]["out_of_exporter"]["all"]}
    assert set(BASELINE_NAMES) <= set(rows)
    for name in BASELINE_NAMES:
        assert rows["model"]["ndcg@10"] > rows[name]["ndcg@10"], name
    assert rows["model"]["queries"] > 10_000
    beats, best, m, b = promotion_decision(shipped.manifest["metrics"])
    assert beats and m > b


def test_manifest_records_what_it_was_trained_on(shipped):
    m = shipped.manifest
    assert m["version"] == shipped.version
    assert set(m["files"]) == {"model.txt", "serving_features.parquet", "MODEL_CARD.md"}
    assert set(m["data_tables"]) >= {"flows", "countries"}
    assert "lightgbm" in m["library_versions"] and len(m["features"]) >= 20
    assert m["seed"] == m["params"]["random_state"]


def test_serving_rows_use_the_freshest_slice_per_demand_type(shipped):
    s = shipped.serving
    assert set(s[C.EXPORTER]) == {"ITA"}
    src = s.groupby(C.DEMAND)[C.SOURCE].unique().to_dict()
    assert list(src[C.INTERMEDIATE]) == [C.ICIO2022] and list(src[C.HOUSEHOLD]) == [C.WIOD2013]
    # France is a top-3 market for Italian ceramic tiles' B2B demand in the model's eyes
    q = s[(s[C.SECTOR] == "C23") & (s[C.DEMAND] == C.INTERMEDIATE)].sort_values("score", ascending=False)
    assert "FRA" in q[C.IMPORTER].head(3).tolist()


def test_tampered_model_file_is_refused(tmp_path, shipped):
    src = artifact._models_dir(None) / shipped.version
    dst = tmp_path / shipped.version
    shutil.copytree(src, dst)
    (tmp_path / "CURRENT").write_text(shipped.version)
    assert artifact.load_current(tmp_path).version == shipped.version
    with open(dst / "model.txt", "a") as fh:
        fh.write("\n# tampered\n")
    with pytest.raises(ModelError, match="checksum"):
        artifact.load_current(tmp_path)


def test_promote_refuses_a_tampered_version_and_keeps_current(tmp_path, shipped):
    src = artifact._models_dir(None) / shipped.version
    shutil.copytree(src, tmp_path / "good")
    shutil.copytree(src, tmp_path / "bad")
    artifact.promote("good", tmp_path)
    manifest = json.loads((tmp_path / "bad" / "manifest.json").read_text())
    manifest["files"]["model.txt"] = "0" * 64
    (tmp_path / "bad" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError):
        artifact.promote("bad", tmp_path)
    assert artifact.current_version(tmp_path) == "good"


def test_missing_current_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="no model has been promoted"):
        artifact.load_current(tmp_path)


def test_same_seed_same_model(tables):
    data = build_dataset(tables, wiod_years=(2011,), include_icio=False)
    data = data[data[C.DEMAND] == C.HOUSEHOLD]
    fits = [MarketRanker(n_estimators=15, random_state=7).fit(data, data["label"], group_sizes(data)) for _ in range(2)]
    p0, p1 = (f.predict(data) for f in fits)
    np.testing.assert_array_equal(p0, p1)
    other = MarketRanker(n_estimators=15, random_state=8).fit(data, data["label"], group_sizes(data)).predict(data)
    assert not np.array_equal(p0, other)  # the seed matters (bagging), so the test above can fail


def test_train_cli_bad_data_dir_is_one_clear_message(tmp_path, capsys):
    assert train_main(["--data-dir", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "data folder not found" in err and "Traceback" not in err


def test_train_cli_table_failing_its_schema(tmp_path, capsys):
    from recommender.data.tables import table_path
    for name in ("flows", "country_year", "pairs", "countries"):
        shutil.copy(table_path(name), tmp_path / table_path(name).name)
    bad = (tmp_path / "countries.csv").read_text().replace("DEU,DE,", "DEUX,DE,", 1)
    (tmp_path / "countries.csv").write_text(bad)
    assert train_main(["--data-dir", str(tmp_path), "--models-dir", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "countries.csv" in err and "iso3" in err


def _small_run(tmp_path, **kw):
    from recommender import config
    from recommender.train import run
    return run(config.data_dir(), tmp_path, seed=3, folds=2, promote=True, version=kw.pop("version", "v1"),
               wiod_years=(2001, 2006, 2011), **kw)


def test_weak_model_is_not_promoted_and_current_is_left_alone(tmp_path, capsys):
    (tmp_path / "CURRENT").write_text("previous\n")
    # one shallow tree cannot beat the ITC-style baseline
    code = _small_run(tmp_path, force=False, params={"n_estimators": 1, "num_leaves": 2})
    out = capsys.readouterr().out
    assert code == 1 and "NOT promoted" in out
    assert (tmp_path / "CURRENT").read_text() == "previous\n"
    assert (tmp_path / "v1" / "model.txt").exists()  # written, just not served


def test_same_seed_same_metrics(tmp_path):
    params = {"n_estimators": 10}
    assert _small_run(tmp_path / "a", force=True, params=params) == 0
    assert _small_run(tmp_path / "b", force=True, params=params) == 0
    a = json.loads((tmp_path / "a" / "v1" / "manifest.json").read_text())
    b = json.loads((tmp_path / "b" / "v1" / "manifest.json").read_text())
    assert a["metrics"] == b["metrics"]
    assert a["files"]["model.txt"] == b["files"]["model.txt"]
    assert artifact.current_version(tmp_path / "a") == "v1"
