"""Shared fixtures. Tests of the raw-data build are marked ``rawdata`` and
skipped when ../shared/data is absent; everything else runs on the committed
derived tables and the shipped model."""

from __future__ import annotations

import pytest

from recommender import config


def pytest_runtest_setup(item):
    if item.get_closest_marker("rawdata") and not config.raw_dir().is_dir():
        pytest.skip(f"raw data folder {config.raw_dir()} not present")


@pytest.fixture(scope="module")
def rec():
    """The engine on the shipped model (recommender.recommend.Recommender)."""
    from recommender.model.artifact import load_current
    from recommender.recommend import Recommender
    return Recommender(load_current())


@pytest.fixture(scope="session")
def tables():
    from recommender.training.dataset import Tables
    return Tables.load()


@pytest.fixture()
def engine_calls(app, monkeypatch):
    """The keyword arguments of every Recommender.recommend call of the ``app`` fixture's
    serving model (the call still runs); for the API and web tests."""
    rec = app.extensions["model_holder"].get()
    calls, original = [], rec.recommend

    def spy(profile, *args, **kwargs):
        calls.append(kwargs)
        return original(profile, *args, **kwargs)
    monkeypatch.setattr(rec, "recommend", spy)
    return calls
