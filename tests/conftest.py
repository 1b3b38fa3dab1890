"""Shared fixtures. Tests of the raw-data build are marked ``rawdata`` and
skipped when ../shared/data is absent; everything else runs on the committed
derived tables and the shipped model."""

from __future__ import annotations

import pytest

from recommender import config


def pytest_runtest_setup(item):
    if item.get_closest_marker("rawdata") and not config.raw_dir().is_dir():
        pytest.skip(f"raw data folder {config.raw_dir()} not present")


@pytest.fixture(scope="session")
def tables():
    from recommender.training.dataset import Tables
    return Tables.load()
