"""Assemble the learning-to-rank dataset from the derived tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.data import load_table
from recommender.features.market import build_query_rows
from recommender.model.labels import relevance_grade

CURATED = Path(__file__).resolve().parent.parent / "data" / "curated"
# Queries whose exporter sold less than this (USD millions) to all markets are
# dropped: their shares are noise from rounding to whole millions in WIOD.
MIN_QUERY_FLOW_MUSD = 5.0
QUERY_KEY = [C.SOURCE, C.YEAR, C.EXPORTER, C.SECTOR, C.DEMAND]
WIOD_YEARS = tuple(range(1995, 2012))


@dataclass
class Tables:
    flows: pd.DataFrame
    country_year: pd.DataFrame
    pairs: pd.DataFrame
    countries: pd.DataFrame
    eu_membership: pd.DataFrame
    eu_agreements: pd.DataFrame

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> "Tables":
        return cls(
            flows=load_table("flows", data_dir),
            country_year=load_table("country_year", data_dir),
            pairs=load_table("pairs", data_dir),
            countries=load_table("countries", data_dir),
            eu_membership=pd.read_csv(CURATED / "eu_membership.csv"),
            eu_agreements=pd.read_csv(CURATED / "eu_trade_agreements.csv"),
        )

    def with_flows(self, flows: pd.DataFrame) -> "Tables":
        """The same tables with other flows (e.g. ``flows_fine``, ICIO's own sectors)."""
        return Tables(flows, self.country_year, self.pairs, self.countries, self.eu_membership, self.eu_agreements)

    def slice_rows(self, source: str, year: int, exporters=None, demand_types=None) -> pd.DataFrame:
        kw = {} if demand_types is None else {"demand_types": tuple(demand_types)}
        return build_query_rows(self.flows, self.country_year, self.pairs, self.countries,
                                self.eu_membership, self.eu_agreements, source, year, exporters, **kw)


def add_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """Add ``label`` and ``qid``; drop queries below MIN_QUERY_FLOW_MUSD; sort by query."""
    total = rows.groupby(QUERY_KEY)["target_value"].transform("sum")
    rows = rows[total >= MIN_QUERY_FLOW_MUSD].copy()
    rows["label"] = relevance_grade(rows["target_share"])
    rows = rows.sort_values(QUERY_KEY + [C.IMPORTER], kind="mergesort").reset_index(drop=True)
    rows["qid"] = rows.groupby(QUERY_KEY, sort=False).ngroup()
    return rows


def build_dataset(tables: Tables, wiod_years=WIOD_YEARS, include_icio: bool = True, progress=None) -> pd.DataFrame:
    """All queries of all slices: WIOD (three demand types) and ICIO 2022 (intermediate)."""
    slices = [(C.WIOD2013, y) for y in wiod_years] + ([(C.ICIO2022, 2022)] if include_icio else [])
    it = progress(slices, desc="features", unit="slice") if progress else slices
    parts = [tables.slice_rows(src, yr) for src, yr in it]
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[rows[C.EXPORTER] != "ROW"]
    return add_labels(rows)


def group_sizes(rows: pd.DataFrame) -> np.ndarray:
    """Items per query, in row order (rows must be sorted by qid)."""
    return rows.groupby("qid", sort=False).size().to_numpy()
