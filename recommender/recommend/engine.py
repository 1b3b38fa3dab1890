"""The recommender: markets and digital channels for one firm.

How a market's score is made (all parts in [0, 1], shown in the result):

    score = 100 * (0.55 * potential + 0.15 * opportunity + 0.30 * readiness_fit)

- ``potential``: the model's ranking of the market for Italy in the firm's
  sector, as a percentile, blended over the demand types the firm's customers
  stand for (``demand_weights``): B2B = intermediate and investment in the
  proportions Italy actually sells them in that sector; B2C = household; both
  = all three in Italy's actual proportions (WIOD 2011, model manifest).
  Each demand type comes from its freshest source (intermediate: ICIO 2022,
  80 countries; household and investment: WIOD 2011, 40 countries). Where a
  market has no data for a demand type the blend uses the others and says so.
- ``opportunity``: the unrealised share of that potential (ITC idea).
- ``readiness_fit``: see :mod:`recommender.recommend.readiness`.

Embargoed markets never appear; partially restricted ones carry a warning;
markets the firm already serves are marked ``expand``; excluded ones are
removed. Results for the same (sector, customer type, maturity, languages)
are cached, so batches of many similar firms stay fast.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache

import numpy as np

from recommender import columns as C
from recommender.channels import MaturityKey, channels_for_market, overall_channels
from recommender.data import load_table
from recommender.errors import FieldError, InvalidInput
from recommender.features.market import FEATURES
from recommender.maturity import LABELS as LEVEL_LABELS
from recommender.model.artifact import LoadedModel
from recommender.next_steps import next_steps
from recommender.recommend import reasons as R
from recommender.recommend.potential import query_tables
from recommender.recommend.profile import FirmProfile
from recommender.recommend.readiness import capability, demand_parts, demandingness, fit

WEIGHTS = {"potential": 0.55, "opportunity": 0.15, "readiness_fit": 0.30}
DEMAND_TYPES = (C.INTERMEDIATE, C.HOUSEHOLD, C.INVESTMENT)
# household share of Italy's sales in the sector at or above which the default
# customer type is B2C, and at or above which it is "both"
B2C_FROM, BOTH_FROM = 0.5, 0.25
# features that are the same for every market of a query: not reasons
QUERY_CONSTANT = {"log_gdp_exp", "rca_exp", "sector", "demand_type"}


class Recommender:
    """Recommendations from a verified :class:`LoadedModel` and the data tables.

    Construct once per process (it precomputes every query table); then
    :meth:`recommend` is pure and thread-safe.
    """

    def __init__(self, model: LoadedModel, data_dir=None, cache_size: int = 4096):
        self.model = model
        self.countries = load_table("countries", data_dir).set_index("iso3")
        restricted = load_table("restricted_markets", data_dir)
        self.restricted = {r["iso3"]: r for r in restricted.to_dict("records")}
        self.queries = query_tables(model.serving)
        # plain dicts for the per-market path: row lookups in a DataFrame cost ~50 us each
        self.rows = {key: t.to_dict("index") for key, t in self.queries.items()}
        self.static = self.countries.to_dict("index")
        # numpy arrays aligned to one market index for the vectorised scoring
        self.market_index = sorted(set(model.serving[C.IMPORTER]))
        self.arrays = {key: (t["potential"].reindex(self.market_index).to_numpy(float),
                             t["opportunity"].reindex(self.market_index).to_numpy(float))
                       for key, t in self.queries.items()}
        self._demandingness = lru_cache(maxsize=64)(self._demandingness_uncached)
        self.mix = model.manifest["serving"]["demand_mix"]
        self.vintages = self._vintages()
        self._ranked = lru_cache(maxsize=cache_size)(self._scores)
        self._entry = lru_cache(maxsize=cache_size * 16)(self._market_cached)

    # -- public --------------------------------------------------------------
    def demand_weights(self, model_sector: str, customer_type: str) -> dict[str, float]:
        shares = self.mix["shares"].get(model_sector, {})
        inter, hh, inv = (shares.get(d, 0.0) for d in DEMAND_TYPES)
        if customer_type == "b2c":
            w = {C.HOUSEHOLD: 1.0}
        elif customer_type == "b2b":
            tot = inter + inv
            w = {C.INTERMEDIATE: inter / tot, C.INVESTMENT: inv / tot} if tot > 0 else {C.INTERMEDIATE: 1.0}
        else:
            tot = inter + hh + inv
            w = ({C.INTERMEDIATE: inter / tot, C.HOUSEHOLD: hh / tot, C.INVESTMENT: inv / tot}
                 if tot > 0 else {C.INTERMEDIATE: 0.5, C.HOUSEHOLD: 0.5})
        return {d: round(v, 4) for d, v in w.items() if v > 0}

    def default_customer_type(self, model_sector: str) -> str:
        hh = self.mix["shares"].get(model_sector, {}).get(C.HOUSEHOLD, 0.0)
        return "b2c" if hh >= B2C_FROM else "both" if hh >= BOTH_FROM else "b2b"

    def recommend(self, profile: FirmProfile, k: int = 10, lang: str = "it") -> dict:
        """The full recommendation for one firm, as a JSON-serialisable dict."""
        if lang not in ("it", "en"):
            raise InvalidInput([FieldError("lang", "must be it or en", value=lang, suggestions=("it", "en"))])
        if not isinstance(k, int) or not 1 <= k <= 30:
            raise InvalidInput([FieldError("k", "must be a whole number from 1 to 30", value=k)])
        sector = profile.ateco.model_sector
        if sector is None:
            raise InvalidInput([FieldError(
                "ateco", "services are not covered: the trade model ranks markets for goods "
                         "(agriculture, mining, manufacturing, ATECO 01-33)", value=profile.ateco.division)])
        customer = profile.customer_type or self.default_customer_type(sector)
        m = profile.maturity
        yes = frozenset(k2 for k2, v in m.answers.items() if v) if m.answers else None
        cap = round(capability(m), 4)
        ranked = self._ranked(sector, customer, cap, profile.languages)

        excluded, markets = [], []
        for market in ranked:
            iso3 = market["iso3"]
            if iso3 in profile.excluded_markets:
                continue
            restriction = self.restricted.get(iso3)
            if restriction and restriction["level"] == "embargo":
                excluded.append({"iso3": iso3, "reason": "embargo",
                                 "note": restriction["measures_it" if lang == "it" else "measures_en"]})
                continue
            if len(markets) >= k:
                continue
            out = dict(self._entry(sector, customer, m.level, cap, profile.languages, yes, iso3))
            out["status"] = "expand" if iso3 in profile.current_markets else "new"
            out["warnings"] = []
            if restriction:
                out["warnings"].append({"type": "restricted", "level": restriction["level"],
                                        "text": restriction["measures_it" if lang == "it" else "measures_en"],
                                        "legal_basis": restriction["legal_basis"], "as_of": restriction["as_of"]})
            out["reasons"] = [r[lang] for r in out["reasons"]]
            out["rank"] = len(markets) + 1
            markets.append(out)

        top_channels = overall_channels([mk["iso3"] for mk in markets], sector, customer, m)
        steps = next_steps(m, top_channels, lang=lang)
        return {
            "firm": profile.to_dict() | {"customer_type": customer,
                                         "customer_type_source": "input" if profile.customer_type else "sector default"},
            "maturity": {"level": m.level, "score": m.score, "label": m.label_it if lang == "it" else m.label_en,
                         "missing_answers": list(m.missing)},
            "demand_weights": self.demand_weights(sector, customer),
            "markets": markets,
            "excluded_markets": excluded,
            "channels": top_channels,
            "next_steps": [asdict(s) for s in steps],
            "scoring": {"formula": "score = 100 * (0.55*potential + 0.15*opportunity + 0.30*readiness_fit)",
                        "weights": WEIGHTS},
            "model_version": self.model.version,
            "data_vintages": self.vintages,
            "lang": lang,
        }

    # -- internals -----------------------------------------------------------
    def _vintages(self) -> dict:
        sl = self.model.manifest["serving"]["slices"]
        return {
            "potential": {d: f"{v['source']} {v['year']}" for d, v in sl.items()},
            "demand_mix": f"{self.mix['source']} {self.mix['year']}",
            "online_purchase": "World Bank Global Findex 2021",
            "logistics": "World Bank LPI 2016",
            "gravity": "CEPII GeoDist",
            "gdp": "World Bank WDI (latest 2023)",
            "trade_agreements": "European Commission DG Trade list, curated 2025",
            "restrictions": "EU restrictive measures, curated (see restricted_markets.as_of)",
        }

    def _scores(self, sector: str, customer: str, cap: float, languages: tuple[str, ...]) -> list[dict]:
        """Every market's score and parts, best first (cached per key; no text yet).
        Vectorised over the fixed market index: a cache miss costs well under 1 ms."""
        weights = self.demand_weights(sector, customer)
        pot = np.zeros(len(self.market_index))
        opp = np.zeros(len(self.market_index))
        wsum = np.zeros(len(self.market_index))
        for d, w in weights.items():
            arrays = self.arrays.get((sector, d))
            if arrays is None:
                continue
            p_d, o_d = arrays
            have = ~np.isnan(p_d)
            pot[have] += w * p_d[have]
            opp[have] += w * o_d[have]
            wsum[have] += w
        covered = wsum > 0
        pot = np.divide(pot, wsum, out=np.zeros_like(pot), where=covered)
        opp = np.divide(opp, wsum, out=np.zeros_like(opp), where=covered)
        demanding, parts_rec = self._demandingness(languages)
        fits = fit(demanding, cap)
        score = 100 * (WEIGHTS["potential"] * pot + WEIGHTS["opportunity"] * opp + WEIGHTS["readiness_fit"] * fits)
        order = np.argsort(-score, kind="stable")
        return [{"iso3": self.market_index[i], "score": round(float(score[i]), 2), "potential": round(float(pot[i]), 4),
                 "opportunity": round(float(opp[i]), 4), "readiness_fit": round(float(fits[i]), 4),
                 "demandingness": round(float(demanding[i]), 4), "demandingness_parts": parts_rec[i]}
                for i in order if covered[i]]

    def _demandingness_uncached(self, languages: tuple[str, ...]):
        parts = demand_parts(self.countries.reset_index(), languages).reindex(self.market_index)
        return demandingness(parts).to_numpy(), parts.round(3).to_dict("records")

    def _market(self, sector: str, customer: str, level: int, languages: tuple[str, ...],
                yes_answers: frozenset | None, s: dict) -> dict:
        """The full, explained entry for one scored market (cached)."""
        iso3 = s["iso3"]
        weights = self.demand_weights(sector, customer)
        static = self.static[iso3]
        per_demand, main_row, main_w = {}, None, -1.0
        for d, w in weights.items():
            row = self.rows.get((sector, d), {}).get(iso3)
            if row is None:
                continue
            per_demand[d] = {
                "weight": w, "potential": round(float(row["potential"]), 4),
                "rank": int(row["rank"]), "of": int(row["n_markets"]),
                "implied_share": round(float(row["implied_share"]), 4),
                "italy_share": round(float(row["actual_share"]), 4),
                "italy_flow_musd": round(float(row["actual_musd"]), 1),
                "opportunity": round(float(row["opportunity"]), 4),
                "vintage": f"{row[C.SOURCE]} {row[C.YEAR]}",
            }
            if w > main_w:
                main_row, main_w = row, w
        market = {"iso3": iso3, "iso2": static["iso2"], "name_it": static["name_it"], "name_en": static["name_en"]}
        label_it, label_en = LEVEL_LABELS[level]
        reasons = self._reasons(market, main_row, static, s["demandingness_parts"], s["readiness_fit"],
                                label_it, label_en)
        return {
            **market,
            "score": s["score"],
            "parts": {
                "potential": s["potential"], "opportunity": s["opportunity"], "readiness_fit": s["readiness_fit"],
                "demandingness": s["demandingness"], "demandingness_parts": s["demandingness_parts"],
                "by_demand_type": per_demand,
                "demand_types_without_data": [d for d in weights if d not in per_demand],
            },
            "reasons": reasons,
            "channels": channels_for_market(iso3, sector, customer, MaturityKey(level, yes_answers), k=3),
        }

    def _market_cached(self, sector, customer, level, cap, languages, yes_answers, iso3) -> dict:
        s = next(x for x in self._ranked(sector, customer, cap, languages) if x["iso3"] == iso3)
        return self._market(sector, customer, level, languages, yes_answers, s)

    def _reasons(self, market, row, static, parts, fit_value, level_it, level_en) -> list[dict]:
        contrib = {f: row[f"contrib__{f}"] for f in FEATURES if f not in QUERY_CONSTANT}
        sentences: list[tuple[str, str]] = []
        seen_topics = set()
        topic = {"log_demand_others": "demand", "demand_share_others": "demand", "log_domestic_demand": "demand",
                 "log_pair_other_sectors": "pair", "ease_other_sectors": "pair", "both_eu": "eu", "eu_fta": "eu",
                 "log_gdp_imp": "size", "log_pop_imp": "size", "online_purchase_imp": "online", "internet_imp": "online"}
        for feat, value in sorted(contrib.items(), key=lambda kv: -kv[1]):
            if value <= 0 or len(sentences) >= 2:
                break
            t = topic.get(feat, feat)
            if t in seen_topics:
                continue
            s = R.model_reason(feat, row, market, static)
            if s:
                sentences.append(s)
                seen_topics.add(t)
        sentences.append(R.italy_position(row))
        sentences.append(R.readiness_reason(parts, fit_value, level_it, level_en))
        return [{"it": it, "en": en} for it, en in sentences]
