"""Amounts of money as the service says them: USD millions (the unit of the trade
data) with their euro value at the ECB's average rate of the figure's year.

Pure formatting over the ``exchange_rates`` table (recommender.data.builders.
exchange_rates); a year the table has no rate for (before 1999, or not complete
yet) is said in USD only, never converted at another year's rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import pandas as pd


def _grouped(value: float, decimals: int, lang: str) -> str:
    s = f"{value:,.{decimals}f}"
    return s.replace(",", "X").replace(".", ",").replace("X", ".") if lang == "it" else s


def _amount(millions: float, lang: str, unit_it: str, unit_en: str) -> str:
    """"1.234 mln USD" / "USD 1,234 m"; from 1,000 million in billions with one decimal."""
    if millions >= 1000:
        v = _grouped(millions / 1000, 1, lang)
        return f"{v} mld {unit_it}" if lang == "it" else f"{unit_en} {v} bn"
    v = _grouped(millions, 0, lang)
    return f"{v} mln {unit_it}" if lang == "it" else f"{unit_en} {v} m"


@dataclass(frozen=True)
class EuroRates:
    """USD per euro by year (ECB yearly means) and where they come from."""

    usd_per_eur: Mapping[int, float]
    rows: Mapping[int, dict]

    @classmethod
    def from_table(cls, df: pd.DataFrame) -> "EuroRates":
        rows = {int(r["year"]): dict(r) for r in df.to_dict("records")}
        return cls(MappingProxyType({y: float(r["usd_per_eur"]) for y, r in rows.items()}), MappingProxyType(rows))

    def usd(self, musd: float, lang: str, year: int | None) -> str:
        """``musd`` (USD millions of ``year``) in words, with the euro value at that year's rate:
        "12 mln USD (≈ 11 mln € al cambio medio BCE 2022)" / "USD 12 m (≈ €11 m at the ECB's
        2022 average rate)"; USD only where the year has no rate."""
        text = _amount(musd, lang, "USD", "USD")
        if year is None or (rate := self.usd_per_eur.get(int(year))) is None:
            return text
        eur = _amount(musd / rate, lang, "€", "€")
        if lang == "it":
            return f"{text} (≈ {eur} al cambio medio BCE {int(year)})"
        return f"{text} (≈ {eur.replace('€ ', '€')} at the ECB's {int(year)} average rate)"

    def to_dict(self, year: int) -> dict | None:
        """The rate of ``year`` with its source, for an answer or a page footnote; None without one."""
        row = self.rows.get(int(year))
        if row is None:
            return None
        return {"year": int(year), "usd_per_eur": float(row["usd_per_eur"]), "days": int(row["days"]),
                "source_title": row["source_title"], "source_url": row["source_url"], "data_url": row["data_url"],
                "quote": row["quote"], "as_of": row["as_of"]}


NO_RATES = EuroRates(MappingProxyType({}), MappingProxyType({}))
