"""Reference lookups for forms and integrators (no key needed), with ``q=`` search."""

from __future__ import annotations

import math


from api import ateco_search
from api.arguments import Blueprint
from api.schemas import ItemList, SearchQuery
from recommender.data import load_table
from recommender.lookups.text import norm

blp = Blueprint("reference", __name__, url_prefix="/api/v1", description="Reference data")

TABLE_FIELDS = {
    "sectors": ("sectors", ["ateco_division", "section", "name_it", "name_en", "model_sector"]),
    "provinces": ("provinces", ["sigla", "code", "name", "region", "nuts3"]),
    "districts": ("districts", ["slug", "name", "provinces", "region", "specialisation_it", "specialisation_en",
                                "ateco_divisions", "origin"]),
    "markets": ("countries", ["iso3", "iso2", "name_it", "name_en", "continent", "eu_member", "trade_regime",
                              "eu_agreement", "gdp_usd", "online_purchase_pct", "lpi_score", "distw_km_ita"]),
    "channels": ("channels", ["channel_id", "name", "name_it", "name_en", "type", "audience", "countries", "families",
                              "end_uses", "min_maturity", "setup_effort", "cost_it", "cost_en", "setup_time_it",
                              "setup_time_en", "as_of", "source_url"]),
    "products": ("product_profiles", ["ateco_class", "edition", "subcategory", "title_it", "isic4_title_en", "family",
                                      "family_name_it", "family_name_en", "end_use", "default_customer",
                                      "icio_sector", "model_sector", "hs6_count"]),
}


def search_items(kind: str, q: str = "") -> dict:
    """``{items, total}`` of one reference table, filtered on any field by ``q`` (also used by the web forms)."""
    table, cols = TABLE_FIELDS[kind]
    df = load_table(table)[cols]
    records = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
               for r in df.to_dict("records")]
    if q:
        key = norm(q)
        records = [r for r in records if any(key in norm(str(v)) for v in r.values() if v is not None)]
    return {"items": records, "total": len(records)}


def _make(kind: str):
    @blp.route(f"/{kind}", methods=["GET"], endpoint=kind)
    @blp.arguments(SearchQuery, location="query", as_kwargs=True)
    @blp.response(200, ItemList)
    def view(q):
        return search_items(kind, q)
    view.__doc__ = f"List {kind}; q= filters on any field (accent- and case-insensitive)."
    return view


for _kind in TABLE_FIELDS:
    _make(_kind)


@blp.route("/ateco", methods=["GET"], endpoint="ateco")
@blp.arguments(SearchQuery, location="query", as_kwargs=True)
@blp.response(200, ItemList)
def ateco_codes(q):
    """ATECO codes (goods, divisions 01-33) for a product word (`occhiali`, `vino`, `calzature`)
    or part of a code (`325`, `32.50`), best first: items `{code, title}` (ISTAT's Italian title)."""
    items = [{"code": m.code, "title": m.title} for m in ateco_search.search(q)]
    return {"items": items, "total": len(items)}
