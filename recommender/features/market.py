"""Market features for one (source, year) slice of the flow table.

One row per *item* of a ranking query: (exporter, sector, demand type) is the
query, the importing country is the item. Every feature is structural and from
the same year, and none contains the query's own target flows (the exporter's
sales of that sector and demand type to any market):

- importer demand is measured from *all other exporters* (the exporter's own
  flow into that market is subtracted),
- the pair's trade relationship and the exporter's specialisation are measured
  on *other sectors* / *other demand types* only,
- gravity, size, income, growth and readiness come from non-flow tables.

``tests/test_features.py`` proves it: changing the target flows changes no
feature. The function is pure (tables in, frame out) so the service can
rebuild exactly the features the model was trained on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C

# Feature name -> meaning (written to the model manifest and model card).
FEATURE_MEANINGS: dict[str, str] = {
    "log_distw": "log population-weighted distance exporter-importer, km (CEPII)",
    "contig": "shared border (CEPII)",
    "comlang_off": "common official language (CEPII)",
    "comlang_ethno": "language spoken by at least 9% in both (CEPII)",
    "colony": "ever in a colonial relationship (CEPII)",
    "both_eu": "both countries EU members in that year",
    "eu_fta": "pair covered by the EU single market or an EU trade agreement in force that year (unknown if neither side is in the EU)",
    "log_gdp_imp": "log importer GDP, current USD (World Bank)",
    "log_pop_imp": "log importer population (World Bank)",
    "log_gdppc_ppp_imp": "log importer GDP per capita PPP (OWID/World Bank)",
    "gdp_growth_5y_imp": "importer GDP growth, % a year over the previous 5 years",
    "internet_imp": "importer internet users, % of population (ITU via OWID)",
    "online_purchase_imp": "importer adults buying online, % (Findex 2021)",
    "lpi_imp": "importer Logistics Performance Index, latest (World Bank)",
    "log_demand_others": "log importer purchases of the sector and demand type from all other exporters",
    "demand_share_others": "importer share of world purchases of the sector and demand type, other exporters only",
    "log_domestic_demand": "log importer purchases from its own producers in the sector and demand type (WIOD only)",
    "log_pair_other_sectors": "log exporter-to-importer flows in all other sectors (the ITC 'ease' idea)",
    "ease_other_sectors": "pair flows in other sectors relative to what the two sides' sizes predict (log ratio)",
    "log_gdp_exp": "log exporter GDP, current USD",
    "rca_exp": "exporter revealed comparative advantage in the sector, from its other demand types (WIOD only)",
    "sector": "model sector (categorical)",
    "demand_type": "demand type (categorical)",
}
FEATURES: list[str] = list(FEATURE_MEANINGS)
CATEGORICAL: list[str] = ["sector", "demand_type"]
ID_COLUMNS = [C.SOURCE, C.YEAR, C.EXPORTER, C.SECTOR, C.DEMAND, C.IMPORTER]


def _log(x) -> pd.Series:
    return np.log1p(pd.Series(x, dtype=float).clip(lower=0))


def eu_members_in(countries_eu: pd.DataFrame, year: int) -> set[str]:
    m = countries_eu
    ok = (m["eu_from"] <= year) & (m["eu_to"].isna() | (m["eu_to"] > year))
    return set(m.loc[ok, "iso3"])


def _agreement_partners_in(agreements: pd.DataFrame, year: int) -> set[str]:
    return set(agreements.loc[agreements["in_force_year"] <= year, "iso3"])


def build_query_rows(
    flows: pd.DataFrame,
    country_year: pd.DataFrame,
    pairs: pd.DataFrame,
    countries: pd.DataFrame,
    eu_membership: pd.DataFrame,
    eu_agreements: pd.DataFrame,
    source: str,
    year: int,
    exporters: list[str] | None = None,
    demand_types: tuple[str, ...] = (C.INTERMEDIATE, C.HOUSEHOLD, C.INVESTMENT),
) -> pd.DataFrame:
    """Feature rows for every (exporter, sector, demand type, importer) of a slice.

    ``flows`` must hold at least the rows of this (source, year). Items are the
    slice's countries (never rest of world, never the exporter itself). The
    returned frame has the ID columns, ``FEATURES`` and the target columns
    ``target_value`` (the flow) and ``target_share`` (its share of the
    exporter's flows of that kind to all items).
    """
    f = flows[(flows[C.SOURCE] == source) & (flows[C.YEAR] == year)]
    f = f[f[C.DEMAND].isin(demand_types) | (f[C.DEMAND] == C.OTHER_FINAL)]
    foreign = f[f[C.PARTNER] == C.FOREIGN]
    countries_in_slice = sorted(set(foreign[C.IMPORTER]) - {"ROW"})
    exps = [e for e in (exporters or countries_in_slice) if e in countries_in_slice]
    sectors = sorted(foreign[C.SECTOR].unique())
    dts = [d for d in demand_types if d in set(foreign[C.DEMAND])]

    # Grid of items: exporter x sector x demand x importer (importer != exporter)
    grid = pd.MultiIndex.from_product([exps, sectors, dts, countries_in_slice],
                                      names=[C.EXPORTER, C.SECTOR, C.DEMAND, C.IMPORTER]).to_frame(index=False)
    grid = grid[grid[C.EXPORTER] != grid[C.IMPORTER]].reset_index(drop=True)

    key = [C.EXPORTER, C.IMPORTER, C.SECTOR, C.DEMAND]
    flow_v = foreign.groupby(key)[C.VALUE].sum()
    grid["target_value"] = flow_v.reindex(pd.MultiIndex.from_frame(grid[key])).fillna(0.0).to_numpy()
    tot = grid.groupby([C.EXPORTER, C.SECTOR, C.DEMAND])["target_value"].transform("sum")
    grid["target_share"] = np.where(tot > 0, grid["target_value"] / tot.where(tot > 0, 1), 0.0)

    # Importer demand from all other exporters (incl. rest of world as a supplier)
    imports = foreign.groupby([C.IMPORTER, C.SECTOR, C.DEMAND])[C.VALUE].sum()
    imp_all = imports.reindex(pd.MultiIndex.from_frame(grid[[C.IMPORTER, C.SECTOR, C.DEMAND]])).fillna(0).to_numpy()
    demand_others = np.clip(imp_all - grid["target_value"].to_numpy(), 0, None)
    grid["log_demand_others"] = np.log1p(demand_others)
    world = foreign.groupby([C.SECTOR, C.DEMAND])[C.VALUE].sum()
    own_total = grid.groupby([C.EXPORTER, C.SECTOR, C.DEMAND])["target_value"].transform("sum").to_numpy()
    world_v = world.reindex(pd.MultiIndex.from_frame(grid[[C.SECTOR, C.DEMAND]])).fillna(0).to_numpy()
    world_others = np.clip(world_v - own_total, 1e-9, None)
    grid["demand_share_others"] = demand_others / world_others

    domestic = f[f[C.PARTNER] == C.DOMESTIC].groupby([C.IMPORTER, C.SECTOR, C.DEMAND])[C.VALUE].sum()
    if len(domestic):
        grid["log_domestic_demand"] = np.log1p(
            domestic.reindex(pd.MultiIndex.from_frame(grid[[C.IMPORTER, C.SECTOR, C.DEMAND]])).fillna(0).to_numpy())
    else:
        grid["log_domestic_demand"] = np.nan

    # Pair relationship in other sectors (all demand types): the ITC "ease" idea
    pair_sector = foreign.groupby([C.EXPORTER, C.IMPORTER, C.SECTOR])[C.VALUE].sum()
    pair_total = pair_sector.groupby(level=[0, 1]).sum()
    ps = pair_sector.reindex(pd.MultiIndex.from_frame(grid[[C.EXPORTER, C.IMPORTER, C.SECTOR]])).fillna(0).to_numpy()
    pt = pair_total.reindex(pd.MultiIndex.from_frame(grid[[C.EXPORTER, C.IMPORTER]])).fillna(0).to_numpy()
    pair_other = np.clip(pt - ps, 0, None)
    grid["log_pair_other_sectors"] = np.log1p(pair_other)
    exp_sector = foreign.groupby([C.EXPORTER, C.SECTOR])[C.VALUE].sum()
    imp_sector = foreign.groupby([C.IMPORTER, C.SECTOR])[C.VALUE].sum()
    exp_other = (exp_sector.groupby(level=0).sum().reindex(grid[C.EXPORTER]).fillna(0).to_numpy()
                 - exp_sector.reindex(pd.MultiIndex.from_frame(grid[[C.EXPORTER, C.SECTOR]])).fillna(0).to_numpy())
    imp_other = (imp_sector.groupby(level=0).sum().reindex(grid[C.IMPORTER]).fillna(0).to_numpy()
                 - imp_sector.reindex(pd.MultiIndex.from_frame(grid[[C.IMPORTER, C.SECTOR]])).fillna(0).to_numpy())
    sec_tot = foreign.groupby(C.SECTOR)[C.VALUE].sum()
    world_other = foreign[C.VALUE].sum() - sec_tot.reindex(grid[C.SECTOR]).fillna(0).to_numpy()
    expected = exp_other * imp_other / np.clip(world_other, 1e-9, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        ease = np.log((pair_other + 1e-3) / (expected + 1e-3))
    grid["ease_other_sectors"] = np.where(expected > 0, ease, np.nan)

    # Exporter specialisation from its OTHER demand types (never the target's)
    by_esd = foreign.groupby([C.EXPORTER, C.SECTOR, C.DEMAND])[C.VALUE].sum().rename("v").reset_index()
    rca = np.full(len(grid), np.nan)
    if by_esd[C.DEMAND].nunique() > 1:
        rca_rows = []
        for d in dts:
            o = by_esd[by_esd[C.DEMAND] != d]
            es = o.groupby([C.EXPORTER, C.SECTOR])["v"].sum()
            e_tot = es.groupby(level=0).sum()
            s_tot = es.groupby(level=1).sum()
            r = (es / e_tot.reindex(es.index.get_level_values(0)).to_numpy()) / (
                s_tot.reindex(es.index.get_level_values(1)).to_numpy() / es.sum())
            rca_rows.append(r.rename("rca").reset_index().assign(**{C.DEMAND: d}))
        rca_df = pd.concat(rca_rows).set_index([C.EXPORTER, C.SECTOR, C.DEMAND])["rca"]
        rca = rca_df.reindex(pd.MultiIndex.from_frame(grid[[C.EXPORTER, C.SECTOR, C.DEMAND]])).to_numpy()
    grid["rca_exp"] = rca

    # Gravity
    pr = pairs.set_index([C.EXPORTER, C.IMPORTER])
    pidx = pd.MultiIndex.from_frame(grid[[C.EXPORTER, C.IMPORTER]])
    grid["log_distw"] = np.log(pr["distw_km"].reindex(pidx).to_numpy())
    for col in ("contig", "comlang_off", "comlang_ethno", "colony"):
        grid[col] = pr[col].reindex(pidx).to_numpy()
    eu = eu_members_in(eu_membership, year)
    partners = _agreement_partners_in(eu_agreements, year)
    e_in = grid[C.EXPORTER].isin(eu).to_numpy()
    m_in = grid[C.IMPORTER].isin(eu).to_numpy()
    grid["both_eu"] = (e_in & m_in).astype(float)
    covered = (e_in & m_in) | (e_in & grid[C.IMPORTER].isin(partners).to_numpy()) | (
        m_in & grid[C.EXPORTER].isin(partners).to_numpy())
    grid["eu_fta"] = np.where(e_in | m_in, covered.astype(float), np.nan)

    # Importer and exporter size, income, growth, readiness
    cy = country_year.set_index([C.ISO3, C.YEAR])
    past = cy["gdp_usd"].rename("gdp_past")
    imp_idx = pd.MultiIndex.from_arrays([grid[C.IMPORTER], np.full(len(grid), year)])
    imp_past_idx = pd.MultiIndex.from_arrays([grid[C.IMPORTER], np.full(len(grid), year - 5)])
    gdp_now = cy["gdp_usd"].reindex(imp_idx).to_numpy()
    gdp_then = past.reindex(imp_past_idx).to_numpy()
    grid["log_gdp_imp"] = np.log(gdp_now)
    grid["log_pop_imp"] = np.log(cy["population"].reindex(imp_idx).to_numpy())
    grid["log_gdppc_ppp_imp"] = np.log(cy["gdp_pc_ppp"].reindex(imp_idx).to_numpy())
    grid["gdp_growth_5y_imp"] = ((gdp_now / gdp_then) ** (1 / 5) - 1) * 100
    grid["internet_imp"] = cy["internet_users_pct"].reindex(imp_idx).to_numpy()
    static = countries.set_index(C.ISO3)
    grid["online_purchase_imp"] = static["online_purchase_pct"].reindex(grid[C.IMPORTER]).to_numpy()
    grid["lpi_imp"] = static["lpi_score"].reindex(grid[C.IMPORTER]).to_numpy()
    exp_idx = pd.MultiIndex.from_arrays([grid[C.EXPORTER], np.full(len(grid), year)])
    grid["log_gdp_exp"] = np.log(cy["gdp_usd"].reindex(exp_idx).to_numpy())

    grid[C.SOURCE] = source
    grid[C.YEAR] = year
    out = grid[ID_COLUMNS + [c for c in FEATURES if c not in CATEGORICAL] + ["target_value", "target_share"]].copy()
    out["sector"] = out[C.SECTOR]  # the categorical feature is the sector itself
    return out


def to_model_matrix(rows: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    """The exact frame the booster sees: FEATURES in order, categoricals with
    the categories recorded at training time (pandas 3 strings -> category)."""
    X = rows[FEATURES].copy()
    for col in CATEGORICAL:
        X[col] = pd.Categorical(rows[col].astype(object), categories=categories[col])
    return X.astype({c: float for c in FEATURES if c not in CATEGORICAL})
