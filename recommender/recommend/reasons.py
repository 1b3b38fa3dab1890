"""Reasons: the strongest contributions to a market's score, as short
sentences in Italian and English that quote the figure, its source and year.

Model reasons come from LightGBM ``pred_contrib`` (SHAP values) for the
market's main demand type; readiness reasons from the readiness parts.
"""

from __future__ import annotations

import math

from recommender import columns as C

SOURCE_LABEL = {C.ICIO2022: "OECD ICIO {year}", C.WIOD2013: "WIOD {year}"}
DEMAND_LABEL = {
    C.INTERMEDIATE: ("acquisti delle imprese (B2B)", "business purchases (B2B)"),
    C.HOUSEHOLD: ("consumi delle famiglie (B2C)", "household consumption (B2C)"),
    C.INVESTMENT: ("investimenti in beni strumentali", "capital-goods investment"),
}


def _money(musd: float, lang: str) -> str:
    if musd >= 1000:
        v = f"{musd / 1000:,.1f}"
        return (v.replace(",", "X").replace(".", ",").replace("X", ".") + " mld USD") if lang == "it" else f"USD {v} bn"
    v = f"{musd:,.0f}"
    return (v.replace(",", ".") + " mln USD") if lang == "it" else f"USD {v} m"


def _pct(x: float, lang: str, digits: int = 1) -> str:
    s = f"{x:.{digits}f}"
    return (s.replace(".", ",") + "%") if lang == "it" else s + "%"


def model_reason(feature: str, row, market: dict, static: dict) -> tuple[str, str] | None:
    """(Italian, English) sentence for one feature of one market, or None."""
    vint = SOURCE_LABEL[row[C.SOURCE]].format(year=row[C.YEAR])
    name_it, name_en = market["name_it"], market["name_en"]
    d_it, d_en = DEMAND_LABEL[row[C.DEMAND]]
    if feature in ("log_demand_others", "demand_share_others", "log_domestic_demand"):
        v = math.expm1(row["log_demand_others"])
        r = int(row["demand_rank"])
        return (f"{name_it}: {r}° mercato su {int(row['n_markets'])} per {d_it} del settore da altri paesi, {_money(v, 'it')} ({vint})",
                f"{name_en}: no. {r} of {int(row['n_markets'])} markets for the sector's {d_en} from other countries, {_money(v, 'en')} ({vint})")
    if feature in ("log_pair_other_sectors", "ease_other_sectors"):
        v = math.expm1(row["log_pair_other_sectors"])
        return (f"Legami commerciali già forti con l'Italia negli altri settori: {_money(v, 'it')} ({vint})",
                f"Strong existing trade with Italy in other sectors: {_money(v, 'en')} ({vint})")
    if feature == "contig" and row["contig"] == 1:
        return ("Confina con l'Italia (CEPII)", "Shares a border with Italy (CEPII)")
    if feature == "log_distw":
        km = math.exp(row["log_distw"])
        return (f"Distanza dall'Italia: {km:,.0f} km (CEPII GeoDist)".replace(",", "."),
                f"Distance from Italy: {km:,.0f} km (CEPII GeoDist)")
    if feature in ("both_eu", "eu_fta"):
        if static["trade_regime"] == "eu_single_market":
            return ("Mercato unico UE: nessuna dogana, IVA intra-UE (UE)", "EU single market: no customs (EU)")
        if static["trade_regime"] in ("fta", "eea", "customs_union") and static.get("eu_agreement"):
            y = int(static["eu_agreement_year"])
            return (f"Accordo commerciale UE in vigore dal {y}: {static['eu_agreement']}",
                    f"EU trade agreement in force since {y}: {static['eu_agreement']}")
        return None
    if feature in ("log_gdp_imp", "log_pop_imp"):
        if math.isnan(row["log_gdp_imp"]):
            return None
        gdp = math.exp(row["log_gdp_imp"]) / 1e6
        return (f"Economia grande: PIL {_money(gdp, 'it')} ({row[C.YEAR]}, Banca Mondiale)",
                f"Large economy: GDP {_money(gdp, 'en')} ({row[C.YEAR]}, World Bank)")
    if feature == "log_gdppc_ppp_imp" and not math.isnan(row[feature]):
        v = math.exp(row[feature])
        return (f"Reddito elevato: PIL pro capite PPA {v:,.0f} $ ({row[C.YEAR]}, OWID/Banca Mondiale)".replace(",", "."),
                f"High income: GDP per capita PPP ${v:,.0f} ({row[C.YEAR]}, OWID/World Bank)")
    if feature == "gdp_growth_5y_imp" and not math.isnan(row[feature]):
        v = row[feature]
        return (f"Crescita del PIL: {_pct(v, 'it')} annuo nei 5 anni fino al {row[C.YEAR]} (Banca Mondiale)",
                f"GDP growth: {_pct(v, 'en')} a year over the 5 years to {row[C.YEAR]} (World Bank)")
    if feature in ("online_purchase_imp", "internet_imp") and not math.isnan(static.get("online_purchase_pct", float("nan"))):
        v = static["online_purchase_pct"]
        return (f"{_pct(v, 'it', 0)} degli adulti compra online (Findex 2021)",
                f"{_pct(v, 'en', 0)} of adults buy online (Findex 2021)")
    if feature == "lpi_imp" and not math.isnan(static.get("lpi_score", float("nan"))):
        v = static["lpi_score"]
        return (f"Logistica: indice LPI {v:.2f} su 5 (Banca Mondiale {int(static['lpi_year'])})".replace(".", ",", 1),
                f"Logistics: LPI {v:.2f} out of 5 (World Bank {int(static['lpi_year'])})")
    if feature in ("comlang_off", "comlang_ethno") and row[feature] == 1:
        return ("Lingua in comune con l'Italia (CEPII)", "Shares a language with Italy (CEPII)")
    return None


def italy_position(row) -> tuple[str, str]:
    vint = SOURCE_LABEL[row[C.SOURCE]].format(year=row[C.YEAR])
    share, v = row["actual_share"] * 100, row["actual_musd"]
    implied = row["implied_share"] * 100
    return (f"L'Italia vi vende già {_money(v, 'it')} ({_pct(share, 'it')} del settore); potenziale stimato {_pct(implied, 'it')} ({vint})",
            f"Italy already sells {_money(v, 'en')} there ({_pct(share, 'en')} of the sector); estimated potential {_pct(implied, 'en')} ({vint})")


def readiness_reason(parts: dict, fit: float, level_label_it: str, level_label_en: str) -> tuple[str, str]:
    hard = [k for k, v in parts.items() if v >= 0.6]
    names = {"distance": ("lontano", "far away"), "customs": ("dogane extra-UE", "non-EU customs"),
             "language": ("nessuna lingua in comune", "no common language"),
             "online": ("pochi acquisti online", "little online buying"),
             "logistics": ("logistica debole", "weak logistics")}
    if not hard:
        return (f"Mercato accessibile per una maturità digitale {level_label_it}: vicino e senza barriere rilevanti",
                f"Accessible for a {level_label_en} digital maturity: near, no major barriers")
    it = ", ".join(names[h][0] for h in hard)
    en = ", ".join(names[h][1] for h in hard)
    if fit >= 0.95:
        return (f"Mercato impegnativo ({it}) ma alla portata della maturità digitale {level_label_it}",
                f"Demanding market ({en}) but within reach of a {level_label_en} digital maturity")
    return (f"Mercato impegnativo per una maturità digitale {level_label_it}: {it}",
            f"Demanding market for a {level_label_en} digital maturity: {en}")
