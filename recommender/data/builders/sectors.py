"""Build ``sectors``: every ATECO division with its ICIO sector(s) and model sector.

Italian titles and section letters come from ISTAT's ATECO (``ateco``
package, latest edition that has the division); English names and the ICIO
mapping from the curated ``ateco_division_icio.csv`` (NACE division titles;
ICIO codes checked against the raw OECD ICIO 2025 sector list). Every curated
division must exist in some ATECO edition and every ATECO division must be
curated, else the build fails naming the line.
"""

from __future__ import annotations

from pathlib import Path

import ateco
import pandas as pd

from recommender.data.raw import read_raw_csv
from recommender.errors import DataError
from recommender.sectors import ICIO_TO_MODEL, MODEL_SECTOR_NAMES

CURATED = Path(__file__).resolve().parent.parent / "curated" / "ateco_division_icio.csv"
EDITIONS = ("2007", "2022", "2025")
ICIO_SECTOR_LIST = "icio2022/OECD_ICIO_2025_sector_code_mapping.csv"


def divisions_by_edition() -> dict[str, dict]:
    """edition -> division code ("01".."99") -> ATECO node, from the ISTAT data
    in ``ateco``. Divisions are two-digit codes, so trying all 99 through the
    public ``ateco.lookup`` finds every one."""
    out: dict[str, dict] = {}
    for ed in EDITIONS:
        nodes = {f"{i:02d}": ateco.lookup(f"{i:02d}", edition=ed) for i in range(1, 100)}
        out[ed] = {code: node for code, node in nodes.items() if node is not None and node.level == "division"}
    return out


def icio_codes(raw_dir: Path) -> set[str]:
    """The sector codes of the OECD ICIO 2025 release (raw sector list)."""
    mapping = read_raw_csv(raw_dir, ICIO_SECTOR_LIST, encoding="utf-8-sig", dtype=str)
    return set(mapping["code"])


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    curated = pd.read_csv(CURATED, dtype=str, keep_default_na=False)
    by_ed = divisions_by_edition()
    all_divs = sorted(set().union(*[set(d) for d in by_ed.values()]))
    known_icio = icio_codes(raw_dir)
    rows = []
    for line, rec in enumerate(curated.to_dict("records"), start=2):
        div = rec["division"]
        if div not in all_divs:
            raise DataError(CURATED, f"division {div!r} is not an ATECO division in any edition", row=line,
                            column="division")
        # empty = no ICIO sector (99, extraterritorial bodies, is outside the tables)
        icio = [c for c in rec["icio_sectors"].split(";") if c]
        unknown = [c for c in icio if c not in known_icio]
        if unknown:
            raise DataError(CURATED, f"ICIO sectors {unknown} are not in {ICIO_SECTOR_LIST}", row=line,
                            column="icio_sectors")
        models = {ICIO_TO_MODEL.get(c) for c in icio} or {None}
        if len(models) != 1:
            raise DataError(CURATED, f"ICIO sectors {icio} span several model sectors", row=line, column="icio_sectors")
        model = models.pop()  # None for services: the model covers goods only
        latest = next(by_ed[ed][div] for ed in reversed(EDITIONS) if div in by_ed[ed])
        title = latest.title
        rows.append({
            "ateco_division": div,
            "section": latest.parent,  # section letter in that edition (2025 relettered the services)
            "name_it": title[:1].upper() + title[1:].lower() if title.isupper() else title,
            "name_en": rec["name_en"],
            "icio_sectors": ";".join(icio) or None,
            "model_sector": model,
            "model_sector_name_it": MODEL_SECTOR_NAMES[model][0] if model else None,
            "model_sector_name_en": MODEL_SECTOR_NAMES[model][1] if model else None,
            **{f"in_{ed}": div in by_ed[ed] for ed in EDITIONS},
        })
    missing = set(all_divs) - set(curated["division"])
    if missing:
        raise DataError(CURATED, f"divisions without an ICIO mapping: {sorted(missing)}")
    return {"sectors": pd.DataFrame(rows)}
