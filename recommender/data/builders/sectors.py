"""Build ``sectors``: every ATECO division with its ICIO sector(s) and model sector.

Italian titles come from ISTAT's ATECO (``ateco`` package, latest edition
that has the division); English names and the ICIO mapping from the curated
``ateco_division_icio.csv`` (NACE Rev.2 division titles; ICIO codes from the
OECD ICIO 2025 sector list).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from ateco._load import load_nodes

from recommender.errors import DataError
from recommender.sectors import ICIO_TO_MODEL, MODEL_SECTOR_NAMES

CURATED = Path(__file__).resolve().parent.parent / "curated" / "ateco_division_icio.csv"
EDITIONS = ("2007", "2022", "2025")


def divisions_by_edition() -> dict[str, dict[str, dict]]:
    """edition -> division code -> ATECO node (from the ISTAT data in ``ateco``)."""
    return {ed: {k: v for k, v in load_nodes(ed).items() if v["level"] == "division"} for ed in EDITIONS}


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    curated = pd.read_csv(CURATED, dtype=str, keep_default_na=False)
    by_ed = divisions_by_edition()
    all_divs = sorted(set().union(*[set(d) for d in by_ed.values()]))
    rows = []
    for line, rec in enumerate(curated.to_dict("records"), start=2):
        div = rec["division"]
        if div not in all_divs:
            raise DataError(CURATED, f"division {div!r} is not an ATECO division in any edition", row=line,
                            column="division")
        icio = rec["icio_sectors"].split(";")
        models = {ICIO_TO_MODEL.get(c) for c in icio}
        if len(models) != 1:
            raise DataError(CURATED, f"ICIO sectors {icio} span several model sectors", row=line, column="icio_sectors")
        model = models.pop()
        latest = next(by_ed[ed][div] for ed in reversed(EDITIONS) if div in by_ed[ed])
        title = latest["title"]
        rows.append({
            "ateco_division": div,
            "section": latest["parent"],
            "name_it": title[:1].upper() + title[1:].lower() if title.isupper() else title,
            "name_en": rec["name_en"],
            "icio_sectors": rec["icio_sectors"] if rec["icio_sectors"] != "U" else None,
            "model_sector": model,
            "model_sector_name_it": MODEL_SECTOR_NAMES[model][0] if model else None,
            "model_sector_name_en": MODEL_SECTOR_NAMES[model][1] if model else None,
            **{f"in_{ed}": div in by_ed[ed] for ed in EDITIONS},
        })
    missing = set(all_divs) - set(curated["division"])
    if missing:
        raise DataError(CURATED, f"divisions without an ICIO mapping: {sorted(missing)}")
    return {"sectors": pd.DataFrame(rows)}
