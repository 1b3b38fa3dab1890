"""Build ``product_profiles``: what a firm of each ATECO class makes.

One row per ATECO class of divisions 01-33 and edition (``2022`` stands for
ATECO 2007 and its 2022 update, which share their classes; ``2025``), plus a
few sub-category rows where a class holds two products (32.50: medical
devices and eyewear; 28.29.3: packaging machines). Each row says:

- ``isic4``: the ISIC Rev. 4 class (UNSD's NACE Rev. 2 - ISIC Rev. 4
  correspondence, ``curated/nace2_isic4.csv``; ATECO 2025 classes go through
  ISTAT's 2025 -> 2022 correspondence shipped with the ``ateco`` package);
- ``hs6``: its HS 6-digit codes, from the HS - ISIC Rev. 4 concordance
  (``../shared/data/concordance_hs_isic4``). Where several ATECO classes share
  one ISIC class (10.11, 10.12 and 10.13 are all ISIC 1010) the class's own
  HS headings (``curated/product_classes.csv``) pick its codes;
  ``hs_basis`` says which: ``class`` (headings), ``isic_class`` (the whole ISIC
  class, broader than the ATECO class), ``division`` (no goods in the ISIC
  class, e.g. machining: the division's codes stand in);
- end use: the shares of its HS codes that the UN Broad Economic Categories
  (BEC Rev. 4, ``../shared/data/concordance_hs_bec``) class as consumption,
  intermediate or capital goods; from them the demand mix (household,
  intermediate, investment) and the default customer type;
- ``family``: the product family (wine, pork_meat, tiles_building, eyewear...)
  that product evidence, import rules and channels are matched on, with
  Italian and English names (``curated/product_families.csv``), and
  ``evidence_keys``: the product lists that speak for it, best first;
- ``icio_sector``: the finest OECD ICIO 2022 sector of the ISIC class (C301
  ships and boats, C24A/C24B, C20/C21, C26/C27...), and the harmonised
  ``model_sector`` the forecast uses.

Every class of the ATECO editions in divisions 01-33 must get a row, and every
curated code must exist, else the build fails naming the line.
"""

from __future__ import annotations

import json
from pathlib import Path

import ateco
import pandas as pd

from recommender.data.raw import read_raw_csv
from recommender.errors import DataError
from recommender.sectors import ICIO_TO_MODEL

CURATED = Path(__file__).resolve().parent.parent / "curated"
NACE_ISIC = CURATED / "nace2_isic4.csv"
CLASSES = CURATED / "product_classes.csv"
FAMILIES = CURATED / "product_families.csv"
HS_ISIC = "concordance_hs_isic4/hs_isic4.csv"
ISIC_DESC = "concordance_hs_isic4/isic4_desc.csv"
HS_BEC = "concordance_hs_bec/hs2022_bec4.csv"
BEC = "concordance_hs_bec/bec4_categories.csv"
EDITIONS = ("2022", "2025")
LAST_DIVISION = 33
END_USES = ("consumption", "intermediate", "capital")
# household share of a product's demand at or above which its default customer is B2C, resp. "both"
# (the same thresholds the harmonised sectors use, recommender.recommend.score)
B2C_FROM, BOTH_FROM = 0.5, 0.25


def icio_sector(isic4: str) -> str:
    """The finest OECD ICIO 2022 sector of an ISIC Rev. 4 class."""
    div, group = isic4[:2], isic4[:3]
    if div in ("01", "02", "03"):
        return "A" + div
    if div in ("05", "06", "07", "08", "09"):
        return "B" + div
    if div in ("10", "11", "12"):
        return "C10T12"
    if div in ("13", "14", "15"):
        return "C13T15"
    if div in ("17", "18"):
        return "C17_18"
    if div == "24":  # ICIO: C24A basic iron and steel (241, 2431), C24B precious and non-ferrous (242, 2432)
        return "C24A" if group == "241" or isic4 == "2431" else "C24B"
    if div == "30":
        return "C301" if group == "301" else "C302T309"
    if div in ("31", "32", "33"):
        return "C31T33"
    return "C" + div


def _classes_by_edition() -> dict[str, dict[str, str]]:
    """edition -> class code -> ISTAT title, divisions 01-33 (ATECO via the ``ateco`` package)."""
    out = {}
    for ed in EDITIONS:
        nodes = json.loads((Path(ateco.__file__).parent / "data" / ed / "nodes.json").read_text())["nodes"]
        out[ed] = {n["code"]: n["title"] for n in nodes
                   if n["level"] == "class" and int(n["code"][:2]) <= LAST_DIVISION}
    return out


def _correspondence_2025() -> dict[str, list[str]]:
    """ATECO 2025 class -> its 2022 classes (ISTAT's correspondence, in the ``ateco`` package)."""
    doc = json.loads((Path(ateco.__file__).parent / "data" / "correspondence" / "2025_2022.json").read_text())
    out: dict[str, list[str]] = {}
    for m in doc["mappings"]:
        a, b = m["code_2025"], m["code_2022"]
        if len(a) == 5 and len(b) == 5 and a[:2].isdigit():
            out.setdefault(a, []).append(b)
    return out


def _curated_classes() -> dict[tuple[str, str], dict]:
    df = pd.read_csv(CLASSES, dtype=str, keep_default_na=False)
    families = set(pd.read_csv(FAMILIES, dtype=str)["family"])
    out = {}
    for line, r in enumerate(df.to_dict("records"), start=2):
        if r["family"] not in families:
            raise DataError(CLASSES, f"unknown product family {r['family']!r}", row=line, column="family")
        key = (r["code"], r["edition"])
        if key in out:
            raise DataError(CLASSES, f"duplicate code {r['code']!r}", row=line, column="code")
        out[key] = r | {"line": line}
    return out


def _curated_for(code: str, edition: str, curated: dict, base: str | None = None) -> dict:
    """The most specific curated row for a class or sub-category: itself, its class, the 2022 class it
    maps to (``base``), its division."""
    for c in (code, code[:5], base or code[:5], code[:2]):
        for ed in (edition, ""):
            if (c, ed) in curated:
                return curated[(c, ed)]
    raise DataError(CLASSES, f"no product family for ATECO {code} (add its division {code[:2]})")


def _end_use(hs6: list[str], hs_bec: pd.DataFrame) -> dict[str, float]:
    """Shares of the HS codes by BEC end use (an n:n code counts once, split evenly)."""
    sub = hs_bec[hs_bec["hs2022_6d"].isin(hs6)]
    if sub.empty:
        return {}
    weight = 1.0 / sub.groupby("hs2022_6d")["hs2022_6d"].transform("size")
    by = weight.groupby(sub["end_use"]).sum()
    # "mixed" (motor spirit, passenger cars, goods n.e.s.: the UN leaves them open) counts half consumption,
    # half intermediate
    mixed = float(by.get("mixed", 0.0))
    shares = {u: float(by.get(u, 0.0)) for u in END_USES}
    shares["consumption"] += mixed / 2
    shares["intermediate"] += mixed / 2
    total = sum(shares.values())
    return {u: round(v / total, 4) for u, v in shares.items()} if total > 0 else {}


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    nace_isic = pd.read_csv(NACE_ISIC, dtype=str, comment="#").set_index("nace2_class")["isic4_class"].to_dict()
    curated = _curated_classes()
    families = pd.read_csv(FAMILIES, dtype=str).set_index("family")
    hs_isic = read_raw_csv(raw_dir, HS_ISIC, dtype=str)
    isic_desc = read_raw_csv(raw_dir, ISIC_DESC, dtype=str).set_index("code")["desc"]
    bec_table = read_raw_csv(raw_dir, BEC, dtype=str, keep_default_na=False)
    bec = bec_table.set_index("bec4")["sna_end_use"]
    # an HS code filed under a non-leaf category (32, 52) takes its leaves' end use if they agree, else "mixed"
    for cat, use in bec.items():
        if not use:
            leaves = {u for c, u in bec.items() if c.startswith(cat) and c != cat and u}
            bec[cat] = leaves.pop() if len(leaves) == 1 else "mixed"
    hs_bec = read_raw_csv(raw_dir, HS_BEC, dtype=str)
    hs_bec["end_use"] = hs_bec["bec4"].map(bec)
    if hs_bec["end_use"].isna().any():
        bad = hs_bec[hs_bec["end_use"].isna()].iloc[0]
        raise DataError(raw_dir / HS_BEC, f"BEC category {bad['bec4']!r} has no end use in {BEC}")
    hs_by_isic = hs_isic.groupby("ISIC4_4d")["HS_6d"].apply(lambda s: sorted(set(s))).to_dict()
    hs_by_div = hs_isic.groupby("ISIC4_2d")["HS_6d"].apply(lambda s: sorted(set(s))).to_dict()
    all_hs = sorted(set(hs_isic["HS_6d"]) | set(hs_bec["hs2022_6d"]))

    by_ed = _classes_by_edition()
    missing = sorted(set(by_ed["2022"]) - set(nace_isic))
    if missing:
        raise DataError(NACE_ISIC, f"ATECO 2022 classes without an ISIC class: {missing}")
    corr = _correspondence_2025()
    sub_titles = {}
    for ed in EDITIONS:
        nodes = json.loads((Path(ateco.__file__).parent / "data" / ed / "nodes.json").read_text())["nodes"]
        sub_titles[ed] = {n["code"]: n["title"] for n in nodes if n["level"] == "category"}
    for (code, ed), r in curated.items():
        known = (by_ed[ed] if ed else by_ed["2022"] | by_ed["2025"]) if len(code) == 5 else None
        if known is not None and code not in known:  # known: None for a sub-category (checked below)
            raise DataError(CLASSES, f"{code} is not an ATECO class", row=r["line"], column="code")
        if len(code) > 5 and code not in sub_titles.get(ed or "2022", {}):
            raise DataError(CLASSES, f"{code} is not an ATECO {ed or '2022'} category", row=r["line"], column="code")

    rows = []
    base: str | None  # the 2022 class a class maps to (None: none, refused)
    for ed in EDITIONS:
        for code, title in sorted(by_ed[ed].items()):
            if ed == "2022":
                base, mapped_from = code, ""
            else:
                targets = corr.get(code, [])
                same_div = [t for t in targets if t[:2] == code[:2]]
                base = (code if code in targets and code in nace_isic else
                        next(iter(same_div or targets), None))
                if base is None or base not in nace_isic:
                    raise DataError(NACE_ISIC, f"ATECO 2025 class {code} has no 2022 class to map to")
                mapped_from = "" if base == code else base
            subs = sorted(c for (c, e) in curated if len(c) > 5 and c[:5] == code and e in ("", ed))
            for sub in [""] + subs:
                rows.append(_profile_row(code, sub, ed, title if not sub else sub_titles[ed][sub], base, mapped_from,
                                         nace_isic, curated, families, hs_by_isic, hs_by_div, all_hs, isic_desc,
                                         hs_bec))
    out = pd.DataFrame(rows)
    for col in ("subcategory", "mapped_from_2022", "hs6", "end_use", "note"):
        out[col] = out[col].replace("", None)
    return {"product_profiles": out}


def _profile_row(code, sub, ed, title, base, mapped_from, nace_isic, curated, families, hs_by_isic, hs_by_div,
                 all_hs, isic_desc, hs_bec) -> dict:
    isic = nace_isic[base]
    cur = _curated_for(sub or code, ed, curated, base)
    headings = [h for h in cur["hs_headings"].split(";") if h]
    # headings apply only when the curated row is the class's (or sub-category's) own
    own = cur["code"] in (code, sub, base)
    if headings and own:
        hs6, basis = [h for h in all_hs if h[:4] in headings], "class"
    elif hs_by_isic.get(isic):
        hs6, basis = hs_by_isic[isic], "isic_class"
    else:
        hs6, basis = hs_by_div.get(isic[:2], []), "division"
    end_use = _end_use(hs6, hs_bec)
    consumption = end_use.get("consumption", 0.0)
    household = consumption
    default_customer = "b2c" if household >= B2C_FROM else "both" if household >= BOTH_FROM else "b2b"
    family = cur["family"]
    evidence = [e for e in cur["evidence"].split(";") if e] or [family]
    # a farm winery or oil mill (01.21, 01.26) sells wine or oil: ranked on food and beverages, not crops
    fine = cur["icio_override"] if own and cur["icio_override"] else icio_sector(isic)
    return {
        "ateco_class": code, "edition": ed, "subcategory": sub, "title_it": title,
        "mapped_from_2022": mapped_from, "isic4": isic, "isic4_title_en": isic_desc.get(isic, ""),
        "family": family, "family_name_it": families.loc[family, "name_it"],
        "family_name_en": families.loc[family, "name_en"], "family_group": families.loc[family, "group"],
        "evidence_keys": ";".join(evidence),
        "hs_basis": basis, "hs6_count": len(hs6), "hs6": ";".join(hs6),
        "end_use": max(end_use, key=end_use.__getitem__) if end_use else "",
        "share_consumption": end_use.get("consumption", 0.0), "share_intermediate": end_use.get("intermediate", 0.0),
        "share_capital": end_use.get("capital", 0.0),
        "default_customer": default_customer,
        "icio_sector": fine, "model_sector": ICIO_TO_MODEL[fine],
        "note": cur["note"] if own else "",
    }
