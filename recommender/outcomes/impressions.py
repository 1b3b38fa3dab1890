"""What a served recommendation logs: the impression.

An impression is the list a firm was shown (markets and, per market, the
channels, with their positions and prior scores) and the firm's context at
that moment (sector, district, province, maturity level, size class,
customer type), with the model version. Outcomes (feedback) link to the
impression they follow, so the position a market was shown at and the score
the model gave it are known when learning. Nothing here names the firm: the
service stores the impression beside the firm's id inside its Chamber.
"""

from __future__ import annotations

import math

from recommender.columns import REGISTRY_PART, SCORE_PARTS

SIZE_CLASSES = ("1-9", "10-49", "50-249", "GE250")  # Eurostat enterprise size classes (persons employed)
UNKNOWN_SIZE = "unknown"


def size_class(employees: int | None) -> str:
    """Eurostat size class of a firm with ``employees`` persons employed ("unknown" if not given)."""
    if employees is None:
        return UNKNOWN_SIZE
    if employees < 10:
        return "1-9"
    if employees < 50:
        return "10-49"
    if employees < 250:
        return "50-249"
    return "GE250"


def locality(district: str | None, province: str | None) -> str | None:
    """The local unit outcomes are pooled in: the district slug, else ``prov:<sigla>``, else None."""
    if district:
        return district
    return f"prov:{province}" if province else None


def impression_market(m: dict) -> dict:
    """What an impression logs of one market of a recommendation (see :func:`impression_from_result`)."""
    learned = m.get("outcome") or {}
    registry = learned.get("registry")
    return {
        "iso3": m["iso3"], "rank": m["rank"], "score": m["score"],
        # the prior trials are measured against: the market model's score times the registry factor
        "prior_score": (round(learned["prior_score"] * (registry or {}).get("factor", 1.0), 4)
                        if learned.get("prior_score") is not None else m["score"]),
        "explored": bool(m.get("explored", False)),
        "parts": {p: m["parts"][p] for p in SCORE_PARTS if p in (m.get("parts") or {})} | (
            {REGISTRY_PART: round(math.log(registry["factor"]), 6)} if registry else {}),
        "channels": [{"channel_id": c["channel_id"], "rank": i + 1, "score": c["score"],
                      "prior_score": c["prior"]["rule_score"]}
                     for i, c in enumerate(m.get("channels", []))],
    }


def impression_from_result(result: dict) -> dict:
    """The impression to log for a recommendation ``result`` (what
    :meth:`Recommender.recommend` returned), as a JSON-ready dict::

        {"model_version", "outcome_version", "sector", "division", "district", "province",
         "locality", "maturity_level", "size_class", "customer_type",
         "markets": [{"iso3", "rank", "score", "prior_score", "explored", "parts",
                      "channels": [{"channel_id", "rank", "score", "prior_score"}]}]}

    ``score`` is what was shown; ``prior_score`` the market model's score
    times the registry factor, before any outcome adjustment (equal to ``score``
    without registries or outcomes); ``parts`` the parts of the market model's
    score and the log of the registry factor (``registry``, when there is one):
    what outcomes may re-weigh.
    """
    firm = result["firm"]
    sector = firm["sector"]
    markets = [impression_market(m) for m in result["markets"]]
    return {
        "model_version": result["model_version"],
        "outcome_version": (result.get("outcomes") or {}).get("version"),
        # the sector the market model and the outcome cells use: the product's (01.21 wine is C10T12)
        "sector": (result.get("product") or {}).get("model_sector") or sector["model_sector"],
        "division": sector["division"],
        "district": firm.get("district"),
        "province": firm.get("province"),
        "locality": locality(firm.get("district"), firm.get("province")),
        "maturity_level": int(result["maturity"]["level"]),
        "size_class": size_class(firm.get("employees")),
        "customer_type": firm["customer_type"],
        "markets": markets,
    }
