"""Final-demand flows (household = B2C, investment = capital goods) for 2022,
estimated for every ICIO pair from what ICIO 2022 observes.

ICIO 2022 has intermediate (B2B) flows only, for 80 countries; WIOD has
household and investment flows too, but only to 2011 and for 40 countries.
``FinalDemandEstimator`` learns on WIOD 1995-2011 how a pair's final-demand
flow in a sector relates to its intermediate flow in that sector, the two
countries' size and income, and distance (PPML with sector x demand-type
fixed effects), and is checked out of time (train <= 2006, test 2011) and out
of country (importers held out) before it is applied to ICIO 2022.

Every figure it produces is an *estimate* and is flagged as such downstream
(``estimated`` in the flows, "stima" in the reasons).

Known limit that remains: WIOD's sectors are coarser than the model sectors
in two places, and the estimate inherits them: c4+c5 (textiles, apparel,
leather and footwear together) and c16 (furniture together with jewellery and
other manufacturing). ICIO has the same groupings (C13T15, C31T33), so
jewellery's markets (Hong Kong, Switzerland, UAE) and furniture's blend in
that sector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import columns as C
from recommender.gravity import PoissonFE

FINAL_TYPES = (C.HOUSEHOLD, C.INVESTMENT)
REGRESSORS = ["log_inter_pair_sector", "inter_zero", "log_inter_pair_total", "log_gdp_imp", "log_gdppc_imp",
              "log_gdp_exp", "log_distw", "contig", "comlang_off", "both_eu"]


def pair_sector_rows(flows: pd.DataFrame, country_year: pd.DataFrame, pairs: pd.DataFrame,
                     eu_members: set[str], source: str, year: int) -> pd.DataFrame:
    """One row per (exporter, importer, sector) of a slice with the regressors
    and, where the slice has them, the household and investment flows."""
    f = flows[(flows[C.SOURCE] == source) & (flows[C.YEAR] == year) & (flows[C.PARTNER] == C.FOREIGN)]
    wide = f.pivot_table(index=[C.EXPORTER, C.IMPORTER, C.SECTOR], columns=C.DEMAND, values=C.VALUE,
                         aggfunc="sum", fill_value=0.0)
    countries = sorted((set(f[C.EXPORTER]) | set(f[C.IMPORTER])) - {"ROW"})
    sectors = sorted(f[C.SECTOR].unique())
    grid = pd.MultiIndex.from_product([countries, countries, sectors], names=[C.EXPORTER, C.IMPORTER, C.SECTOR])
    grid = grid[grid.get_level_values(0) != grid.get_level_values(1)]
    rows = wide.reindex(grid, fill_value=0.0).reset_index()
    for d in (C.INTERMEDIATE,) + FINAL_TYPES:
        if d not in rows:
            rows[d] = np.nan
    rows["log_inter_pair_sector"] = np.log(rows[C.INTERMEDIATE] + 1e-3)
    rows["inter_zero"] = (rows[C.INTERMEDIATE] <= 0).astype(float)
    total = rows.groupby([C.EXPORTER, C.IMPORTER])[C.INTERMEDIATE].transform("sum")
    rows["log_inter_pair_total"] = np.log(total + 1e-3)
    cy = country_year[country_year[C.YEAR] == year].set_index(C.ISO3)
    rows["log_gdp_imp"] = np.log(cy["gdp_usd"].reindex(rows[C.IMPORTER]).to_numpy())
    rows["log_gdppc_imp"] = np.log(cy["gdp_pc_ppp"].reindex(rows[C.IMPORTER]).to_numpy())
    rows["log_gdp_exp"] = np.log(cy["gdp_usd"].reindex(rows[C.EXPORTER]).to_numpy())
    pr = pairs.set_index([C.EXPORTER, C.IMPORTER])
    idx = pd.MultiIndex.from_frame(rows[[C.EXPORTER, C.IMPORTER]])
    rows["log_distw"] = np.log(pr["distw_km"].reindex(idx).to_numpy())
    rows["contig"] = pr["contig"].reindex(idx).to_numpy()
    rows["comlang_off"] = pr["comlang_off"].reindex(idx).to_numpy()
    rows["both_eu"] = (rows[C.EXPORTER].isin(eu_members) & rows[C.IMPORTER].isin(eu_members)).astype(float)
    rows[C.SOURCE], rows[C.YEAR] = source, year
    return rows


def long_by_demand(rows: pd.DataFrame, demand_types=FINAL_TYPES) -> pd.DataFrame:
    """Stack the final-demand columns: one row per (pair, sector, demand type), ``y`` the flow."""
    parts = [rows.assign(**{C.DEMAND: d, "y": rows[d]}) for d in demand_types]
    return pd.concat(parts, ignore_index=True)


class FinalDemandEstimator:
    """PPML of a pair's final-demand flow (household or investment) in a sector,
    with sector x demand-type fixed effects. scikit-learn conventions."""

    def __init__(self, alpha: float = 1e-4):
        self.alpha = alpha

    @staticmethod
    def _cell(rows: pd.DataFrame) -> np.ndarray:
        return (rows[C.SECTOR] + "|" + rows[C.DEMAND]).to_numpy()

    def fit(self, long_rows: pd.DataFrame) -> "FinalDemandEstimator":
        self.model_ = PoissonFE(REGRESSORS, alpha=self.alpha).fit(long_rows, long_rows["y"], self._cell(long_rows))
        return self

    def predict(self, long_rows: pd.DataFrame) -> np.ndarray:
        """Expected flow, USD millions (0 where the sector x demand cell never had any)."""
        return np.nan_to_num(self.model_.predict(long_rows, self._cell(long_rows)), nan=0.0)

    def coefficients(self) -> dict[str, float]:
        return self.model_.coefficients()
