"""The channel validation table: product family x customer type x market cases, each with the
channels that must and must not be proposed and the cited reason (``curated/channel_cases.csv``),
and coverage figures. ``python -m recommender.validate`` reports them; the tests require every
case to pass.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from recommender.channels import ChannelFit, channels_for_market, main_end_uses
from recommender.data import load_table
from recommender.maturity import assess

CASES = Path(__file__).resolve().parent / "data" / "curated" / "channel_cases.csv"
END_USES = ("consumption", "intermediate", "capital")
B2B_AUDIENCES = frozenset({"b2b_wholesale", "b2b_industrial", "specifiers"})


@lru_cache(maxsize=64)
def family_fit(family: str) -> ChannelFit:
    """A family's :class:`ChannelFit`: its main end uses over its ATECO classes (mean BEC shares)."""
    t = load_table("product_profiles")
    t = t[(t["family"] == family) & (t["edition"] == "2022")]
    shares = {u: float(t[f"share_{u}"].mean()) for u in END_USES} if len(t) else {}
    return ChannelFit(family, main_end_uses(shares))


def check_case(case: dict) -> dict:
    """One case against the catalogue, for a fully mature firm of unknown size (every channel eligible for
    the product, customer type and market is listed, reachable or not)."""
    offered = channels_for_market(case["iso3"], family_fit(case["product_family"]), case["customer_type"],
                                  assess(level=4), k=None)
    ids, types = {c["channel_id"] for c in offered}, {c["type"] for c in offered}
    missing = [x for x in case["must_include"].split(";") if x
               and not (x[5:] in types if x.startswith("type:") else x in ids)]
    wrong = [x for x in case["must_exclude"].split(";") if x
             and (x[5:] in types if x.startswith("type:") else x in ids)]
    return {"case_id": case["case_id"], "passed": not missing and not wrong, "missing": missing, "wrongly_offered": wrong}


def check_cases() -> pd.DataFrame:
    cases = pd.read_csv(CASES, dtype=str, keep_default_na=False)
    return pd.DataFrame([check_case(c) for c in cases.to_dict("records")])


def coverage(markets: list[str], families: list[str]) -> pd.DataFrame:
    """Share of the markets with at least one fitting B2C and one fitting B2B channel, per family:
    counting every channel (generic ones such as the own e-shop or search ads included), and counting
    only channels that list the family (a marketplace, a fair, a directory of the product)."""
    rows = []
    level4 = assess(level=4)
    for family in families:
        fit = family_fit(family)
        b2c = {m: [c for c in channels_for_market(m, fit, "b2c", level4, k=None) if "b2c" in c["audience"]]
               for m in markets}
        b2b = {m: [c for c in channels_for_market(m, fit, "b2b", level4, k=None) if B2B_AUDIENCES & set(c["audience"])]
               for m in markets}
        rows.append({"family": family,
                     "b2c_and_b2b": sum(bool(b2c[m]) and bool(b2b[m]) for m in markets) / len(markets),
                     "b2c_specific": sum(any(not c["generic"] for c in b2c[m]) for m in markets) / len(markets),
                     "b2b_specific": sum(any(not c["generic"] for c in b2b[m]) for m in markets) / len(markets)})
    return pd.DataFrame(rows)
