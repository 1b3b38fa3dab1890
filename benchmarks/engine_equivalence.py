"""Whole recommendations of ~300 varied firms, dumped to JSON or compared with a dump: the check
that an engine change (caching, vectorising, precomputing) leaves every answer as it was.

Firms vary by ATECO division and class (hence product, finest sector and product evidence),
province or district (district evidence), customer type, maturity, languages, size, current and
excluded markets and language of the answer; each is asked for k=30 markets, so that the
rankings, scores, parts, reasons, citations and channels of most markets are compared, not only
the top ten. One recommender answers them all in order, so the first firm of each (product,
place) key is a cold computation and the later ones warm hits, as in service.

    PYTHONPATH=. .venv/bin/python benchmarks/engine_equivalence.py --dump /tmp/hot_before.json
    PYTHONPATH=. .venv/bin/python benchmarks/engine_equivalence.py --compare /tmp/hot_before.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys

from recommender.data import load_table
from recommender.errors import InvalidInput
from recommender.model.artifact import load_current
from recommender.recommend import FirmProfile, Recommender

MARKETS = ["DE", "FR", "ES", "US", "GB", "CH", "AT", "NL", "BE", "PL", "CN", "JP"]


def profiles(n: int, seed: int = 7) -> list[tuple[dict, str]]:
    """n varied (profile, lang) pairs, the same for a given seed."""
    rng = random.Random(seed)
    sectors = load_table("sectors")
    divisions = sectors[sectors["model_sector"].notna()]["ateco_division"].tolist()
    classes = sorted(set(load_table("product_profiles")["ateco_class"].dropna().astype(str)))
    provinces = load_table("provinces")["sigla"].tolist()
    districts = load_table("districts")[["slug", "ateco_divisions"]].to_dict("records")
    out = []
    for i in range(n):
        p: dict = {"maturity_level": rng.randint(1, 4),
                   "customer_type": rng.choice([None, "b2b", "b2c", "both"]),
                   "current_markets": rng.sample(MARKETS, rng.randint(0, 2)),
                   "excluded_markets": rng.sample(MARKETS, rng.randint(0, 1)),
                   "languages": rng.choice([[], ["en"], ["en", "de"], ["fr"]])}
        if rng.random() < 0.3:
            p["employees"] = rng.choice([3, 20, 120, 400])
        where = i % 3
        if where == 0:  # a district and one of its own divisions: the firm's own district evidence
            d = rng.choice(districts)
            p["district"] = d["slug"]
            p["ateco"] = rng.choice(str(d["ateco_divisions"]).split(";"))
        else:
            p["province"] = rng.choice(provinces)
            p["ateco"] = rng.choice(classes) if where == 1 else rng.choice(divisions)
        out.append((p, rng.choice(["it", "it", "en"])))
    return out


def answers(n: int) -> list:
    """[profile, lang, recommendation or the error] for each of the n firms, in order."""
    rec = Recommender(load_current())
    out = []
    for p, lang in profiles(n):
        try:
            got = rec.recommend(FirmProfile.from_dict(p), k=30, lang=lang)
        except InvalidInput as e:  # a district's division with no goods, say: the error is an answer too
            got = {"error": str(e)}
        out.append([p, lang, got])
    return json.loads(json.dumps(out, sort_keys=True, default=str))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=300)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump", help="write the answers to this JSON file")
    mode.add_argument("--compare", help="compare the answers with this JSON file")
    args = ap.parse_args()
    got = answers(args.firms)
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump(got, f, sort_keys=True)
        print(f"{len(got)} firms dumped to {args.dump}")
        return 0
    with open(args.compare) as f:
        before = json.load(f)
    differ = [i for i, (a, b) in enumerate(zip(before, got)) if a != b]
    if len(before) != len(got) or differ:
        print(f"DIFFERENT: {len(differ)} of {len(got)} firms (first: {differ[:5]}); {len(before)} vs {len(got)}")
        return 1
    errors = sum("error" in g[2] for g in got)
    print(f"identical on {len(got)} firms ({errors} of them input errors), k=30")
    return 0


if __name__ == "__main__":
    sys.exit(main())
