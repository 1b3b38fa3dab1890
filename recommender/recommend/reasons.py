"""Reasons: the strongest contributions to a market's score, as short
sentences in Italian and English that quote the figure, its source and year.

Model reasons come from LightGBM ``pred_contrib`` (SHAP values) for the
market's main demand type; readiness reasons from the readiness parts.
"""

from __future__ import annotations

import math

from recommender import columns as C
from recommender.money import NO_RATES, EuroRates

SOURCE_LABEL = {C.ICIO2022: "OECD ICIO {year}", C.WIOD2013: "WIOD {year}"}
DEMAND_LABEL = {
    C.INTERMEDIATE: ("acquisti delle imprese (B2B)", "business purchases (B2B)"),
    C.HOUSEHOLD: ("consumi delle famiglie (B2C)", "household consumption (B2C)"),
    C.INVESTMENT: ("investimenti in beni strumentali", "capital-goods investment"),
}


# the year of the ICIO flows every peers and potential figure is for
FLOWS_YEAR = 2022


def _money(musd: float, lang: str, rates: EuroRates = NO_RATES, year: int | None = None) -> str:
    """USD millions with the euro value at the ECB's average rate of ``year`` (recommender.money)."""
    return rates.usd(musd, lang, year)


def _pct(x: float, lang: str, digits: int = 1) -> str:
    s = f"{x:.{digits}f}"
    return (s.replace(".", ",") + "%") if lang == "it" else s + "%"


def model_reason(feature: str, row, market: dict, static: dict,
                 rates: EuroRates = NO_RATES) -> tuple[str, str] | None:
    """(Italian, English) sentence for one feature of one market, or None; amounts in USD with
    their euro value at the rate of the row's year (``rates``)."""
    year = int(row[C.YEAR])
    vint = SOURCE_LABEL[row[C.SOURCE]].format(year=row[C.YEAR])
    name_it, name_en = market["name_it"], market["name_en"]
    d_it, d_en = DEMAND_LABEL[row[C.DEMAND]]
    if feature in ("log_demand_others", "demand_share_others", "log_domestic_demand"):
        v = math.expm1(row["log_demand_others"])
        r = int(row["demand_rank"])
        return (f"{name_it}: {r}° mercato su {int(row['n_markets'])} per {d_it} del settore da altri paesi, {_money(v, 'it', rates, year)} ({vint})",
                f"{name_en}: no. {r} of {int(row['n_markets'])} markets for the sector's {d_en} from other countries, {_money(v, 'en', rates, year)} ({vint})")
    if feature in ("log_pair_other_sectors", "ease_other_sectors"):
        v = math.expm1(row["log_pair_other_sectors"])
        return (f"Legami commerciali già forti con l'Italia negli altri settori: {_money(v, 'it', rates, year)} ({vint})",
                f"Strong existing trade with Italy in other sectors: {_money(v, 'en', rates, year)} ({vint})")
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
        return (f"Economia grande: PIL {_money(gdp, 'it', rates, year)} ({row[C.YEAR]}, Banca Mondiale)",
                f"Large economy: GDP {_money(gdp, 'en', rates, year)} ({row[C.YEAR]}, World Bank)")
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


ESTIMATE_FINAL_DEMAND = (
    {"figure": "final_demand_2022", "text": "Vendite a consumatori e per investimenti 2022: stima del modello "
                                            "(da OECD ICIO 2022, relazione appresa su WIOD 1995-2011)"},
    {"figure": "final_demand_2022", "text": "Consumer and investment sales 2022: model estimate "
                                            "(from OECD ICIO 2022, relation learned on WIOD 1995-2011)"})
ESTIMATE_UNREALISED = (
    {"figure": "unrealised_potential", "text": "Potenziale non sfruttato: stima di un modello gravitazionale (PPML) "
                                               "che non ha visto i flussi italiani"},
    {"figure": "unrealised_potential", "text": "Unrealised potential: estimate of a gravity model (PPML) that never "
                                               "saw Italy's own flows"})
# re-export hubs: ICIO records what their firms buy as inputs, not the goods that pass through them, so the
# 2022 consumer and investment estimates there are weak (checked against public figures in the model card)
REEXPORT_HUBS = frozenset({"HKG", "SGP", "ARE", "NLD", "BEL"})
ESTIMATE_HUB = (
    {"figure": "reexport_hub", "text": "Hub di riesportazione: la stima 2022 delle vendite a consumatori è debole "
                                       "(le merci in transito non sono nei dati ICIO); vedi le fonti sul prodotto"},
    {"figure": "reexport_hub", "text": "Re-export hub: the 2022 estimate of consumer sales is weak (goods in "
                                       "transit are not in the ICIO data); see the product sources"})
QUERY_CONSTANT = {"log_gdp_exp", "rca_exp", "sector", "demand_type", "log_share_t", "zero_t", "share_logit"}


def peers_reason(market: dict, observed: float, estimated: float, rank: int, n: int, sector: str = "",
                 names: tuple[str, str] = ("", ""), rates: EuroRates = NO_RATES) -> tuple[str, str]:
    """Italy's current exports of the sector to the market (``sector``, its ICIO code, named so the
    reader does not take them for figures of the product), estimates named as such."""
    total = observed + estimated
    of_it = f"del settore «{names[0]}» (ICIO {sector}, non solo del prodotto)" if sector else "del settore"
    of_en = f"of the sector \"{names[1]}\" (ICIO {sector}, not the product alone)" if sector else "of the sector"
    if estimated > 0 and observed > 0:
        return (f"L'Italia vi esporta {_money(total, 'it', rates, FLOWS_YEAR)} {of_it}, {rank}° mercato su {n}: "
                f"{_money(observed, 'it')} alle imprese (OECD ICIO 2022) e {_money(estimated, 'it')} a consumatori e "
                f"investimenti (stima 2022)",
                f"Italy exports {_money(total, 'en', rates, FLOWS_YEAR)} {of_en} there, market no. {rank} of {n}: "
                f"{_money(observed, 'en')} to businesses (OECD ICIO 2022) and {_money(estimated, 'en')} to consumers and "
                f"investment (2022 estimate)")
    if estimated > 0:
        return (f"L'Italia vi vende circa {_money(total, 'it', rates, FLOWS_YEAR)} {of_it}, {rank}° mercato su {n} (stima 2022 da OECD ICIO)",
                f"Italy sells about {_money(total, 'en', rates, FLOWS_YEAR)} {of_en} there, market no. {rank} of {n} (2022 estimate from OECD ICIO)")
    return (f"L'Italia vi esporta {_money(total, 'it', rates, FLOWS_YEAR)} {of_it}, {rank}° mercato su {n} (OECD ICIO 2022)",
            f"Italy exports {_money(total, 'en', rates, FLOWS_YEAR)} {of_en} there, market no. {rank} of {n} (OECD ICIO 2022)")


def forecast_reason(rank: int, n: int, names: tuple[str, str] = ("", "")) -> tuple[str, str]:
    in_it = f"nel settore «{names[0]}»" if names[0] else "nel settore"
    in_en = f"in the sector \"{names[1]}\"" if names[1] else "in the sector"
    return (f"Previsione a 5 anni (2027): {rank}° mercato su {n} per l'Italia {in_it} (modello di previsione su dati "
            f"2022; stima incerta)",
            f"Five-year forecast (2027): market no. {rank} of {n} for Italy {in_en} (forecast model on 2022 data; "
            f"an uncertain estimate)")


def product_evidence_reason(cite) -> tuple[str, str]:
    """A public source naming the market as a destination of the product (recommender.products.evidence)."""
    scope_it = {"national": "export italiano", "regional": "export regionale", "consortium": "dati del consorzio",
                "association": "dati dell'associazione di settore", "district": "dati del distretto"}.get(cite.scope, "")
    scope_en = {"national": "Italian exports", "regional": "regional exports", "consortium": "consortium figures",
                "association": "industry association figures", "district": "district figures"}.get(cite.scope, "")
    rank_it = f"{cite.rank}° mercato" if cite.rank else "tra i mercati principali"
    rank_en = f"market no. {cite.rank}" if cite.rank else "among the main markets"
    value = f", {cite.value}" if cite.value else ""
    return (f"Prodotto «{cite.product}»: {rank_it}{value} ({scope_it}) secondo «{cite.source_title}» ({cite.year})",
            f"Product \"{cite.product_en}\": {rank_en}{value} ({scope_en}) according to \"{cite.source_title}\" "
            f"({cite.year})")


def rules_summary(rules) -> tuple[str, str]:
    """Requirements or monopolies that gate a first sale (recommender.products.rules), in one sentence;
    each rule, its step and source are in the market's warnings."""
    kinds_it = {"requirement": "adempimento", "monopoly": "monopolio di Stato"}
    first = rules[0]
    if len(rules) == 1:
        return (f"Da preparare prima della prima vendita: {first.step_it} (fonte: {first.source_title}, {first.as_of})",
                f"To prepare before the first sale: {first.step_en} (source: {first.source_title}, {first.as_of})")
    return (f"Da preparare prima della prima vendita: {len(rules)} adempimenti per il prodotto "
            f"({', '.join(sorted({kinds_it.get(r.kind, r.kind) for r in rules}))}), vedi le avvertenze",
            f"To prepare before the first sale: {len(rules)} requirements for the product, see the warnings")


def unrealised_reason(gap_musd: float, rates: EuroRates = NO_RATES) -> tuple[str, str]:
    return (f"Potenziale non sfruttato: circa {_money(gap_musd, 'it', rates, FLOWS_YEAR)} in più di quanto l'Italia vende oggi "
            f"(stima, modello gravitazionale che non ha visto i flussi italiani, 2022)",
            f"Unrealised potential: about {_money(gap_musd, 'en', rates, FLOWS_YEAR)} more than Italy sells today "
            f"(estimate, gravity model that never saw Italy's own flows, 2022)")


def strongest_contribution(row, market: dict, static: dict, rates: EuroRates = NO_RATES) -> tuple[str, str] | None:
    """The forecast model's strongest positive structural reason (LightGBM pred_contrib)."""
    contrib = {k[len("contrib__"):]: v for k, v in row.items() if k.startswith("contrib__")}
    for feat, value in sorted(contrib.items(), key=lambda kv: -kv[1]):
        if value <= 0:
            return None
        if feat in QUERY_CONSTANT or feat == "bias":
            continue
        s = model_reason(feat, row, market, static, rates)
        if s:
            if row.get("estimated") and feat in ("log_demand_others", "demand_share_others"):
                # household / investment purchases of 2022 are themselves estimates
                s = (s[0].replace("(OECD ICIO 2022)", "(stima 2022 da OECD ICIO)"),
                     s[1].replace("(OECD ICIO 2022)", "(2022 estimate from OECD ICIO)"))
            return s
    return None


def _stand_in_note(kind: str) -> tuple[str, str]:
    return {"national": (" [dato nazionale]", " [national figure]"), "regional": (" [dato regionale]", " [regional figure]"),
            "province_total": (" [export totale della provincia]", " [province total]")}.get(kind, ("", ""))


def evidence_reason(cite) -> tuple[str, str]:
    it_note, en_note = _stand_in_note(cite.stand_in)
    rank_it = f"{cite.rank}° sbocco" if cite.rank else "sbocco indicato"
    rank_en = f"destination no. {cite.rank}" if cite.rank else "named destination"
    return (f"Distretto ({cite.district}): {rank_it}{it_note} secondo «{cite.source_title}» ({cite.year})",
            f"District ({cite.district}): {rank_en}{en_note} according to \"{cite.source_title}\" ({cite.year})")


def sector_evidence_reason(share: float, other_districts: int, scope: str = "sector",
                           product: tuple[str, str] = ("", "")) -> tuple[str, str]:
    """How many of the other reported districts making the same product (``scope`` "family"), or of
    the sector (``scope`` "sector"), name the market (counts, not only a share: one district of one
    is weak evidence and the sentence lets the reader see it)."""
    k = round(share * other_districts)
    if scope == "family":
        of_it, of_en = f"che producono {product[0]}", f"making {product[1]}"
    else:
        of_it, of_en = "del settore", "of the sector"
    if other_districts == 1:
        return (f"Indicato come sbocco dall'unico altro distretto {of_it} con rapporti pubblici",
                f"Named as a destination by the only other district {of_en} with public reports")
    return (f"Indicato come sbocco da {k} dei {other_districts} altri distretti {of_it} (rapporti pubblici)",
            f"Named as a destination by {k} of the {other_districts} other districts {of_en} (public reports)")


def horizon_reason(parts: dict, horizon: str, needs_level: int, level_it: str, level_en: str) -> tuple[str, str]:
    names = {"distance": ("lontano", "far away"), "customs": ("dogane extra-UE", "non-EU customs"),
             "language": ("lingua diversa", "different language"),
             "online": ("pochi acquisti online", "little online buying"),
             "logistics": ("logistica debole", "weak logistics")}
    hard = [k for k, v in parts.items() if v >= 0.6]
    it = ", ".join(names[h][0] for h in hard) or "nessuna barriera rilevante"
    en = ", ".join(names[h][1] for h in hard) or "no major barrier"
    if horizon == "now":
        return (f"Per iniziare ora: alla portata di una maturità digitale {level_it} ({it})",
                f"To start now: within reach of a {level_en} digital maturity ({en})")
    return (f"Da preparare: richiede il livello di maturità digitale {needs_level} ({it})",
            f"To prepare: needs digital maturity level {needs_level} ({en})")


def _years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _lift(value: float, lang: str) -> str:
    s = f"{value:.2f}"
    return "×" + (s.replace(".", ",") if lang == "it" else s)


def outcome_reason(lift, in_district: bool) -> tuple[str, str]:
    """What the recorded outcomes say about this market, with counts and years
    (``lift``: :class:`recommender.outcomes.serving.Lift` with evidence)."""
    e = lift.evidence[0]
    years = _years(e.first_year, e.last_year)
    if e.level == "local":
        where_it, where_en = ("del distretto", "of the district") if in_district else ("della provincia", "of the province")
        it = (f"Esiti registrati: {e.firms_sold} imprese {where_it} su {e.firms} che l'hanno provato hanno venduto qui "
              f"dopo il consiglio ({years}); punteggio {_lift(lift.value, 'it')}.")
        en = (f"Recorded outcomes: {e.firms_sold} of the {e.firms} firms {where_en} that tried this market sold here "
              f"after the advice ({years}); score {_lift(lift.value, 'en')}.")
    else:
        it = (f"Esiti registrati nel settore (altre aree): {e.firms_sold} imprese su {e.firms} che l'hanno provato "
              f"hanno venduto qui ({years}); punteggio {_lift(lift.value, 'it')}.")
        en = (f"Recorded outcomes in the sector (other areas): {e.firms_sold} of the {e.firms} firms that tried this "
              f"market sold here ({years}); score {_lift(lift.value, 'en')}.")
    return it, en


def contrary_reason(cite) -> tuple[str, str]:
    """A cited source that names the market among the destinations and, in the same quote, says it
    fell (``cite``: a district or product citation with ``trend`` "down"): the evidence that cuts
    against the market, said as such (it is not taken out of the score: the market stays a main
    destination in that source)."""
    it = (f"Segnale contrario: la stessa fonte riporta un calo («{cite.trend_said}», {cite.source_title}, "
          f"{cite.year}).")
    en = (f"Counter-signal: the same source reports a fall («{cite.trend_said}», {cite.source_title}, "
          f"{cite.year}).")
    return it, en


def registry_reason(evidence, in_district: bool, as_of: str) -> tuple[str, str] | None:
    """Where registered firms of the same product already sell (``evidence``:
    :class:`recommender.outcomes.registry_lifts.RegistryEvidence`, the firm's own row left out);
    None when fewer than k firms sell there (the count is not said) or the factor is within ±5 %."""
    if not evidence.shown or abs(evidence.factor - 1.0) < REWEIGHTING_SHOWN_FROM:
        return None
    n, of = evidence.firms_selling, evidence.firms
    if evidence.level == "local":
        where_it, where_en = ("del distretto", "of the district") if in_district else ("della provincia",
                                                                                     "of the province")
        it = (f"Imprese registrate presso le Camere: {n} imprese {where_it} che fanno lo stesso prodotto vendono già "
              f"qui (su {of} che esportano; registri al {as_of}); punteggio {_lift(evidence.factor, 'it')}.")
        en = (f"Firms registered with the Chambers: {n} firms {where_en} making the same product already sell here "
              f"(of {of} that export; registries as of {as_of}); score {_lift(evidence.factor, 'en')}.")
    else:
        it = (f"Imprese registrate presso le Camere, stesso prodotto in altre aree: {n} su {of} che esportano "
              f"vendono già qui (registri al {as_of}); punteggio {_lift(evidence.factor, 'it')}.")
        en = (f"Firms registered with the Chambers, same product in other areas: {n} of the {of} that export "
              f"already sell here (registries as of {as_of}); score {_lift(evidence.factor, 'en')}.")
    return it, en


PART_PHRASES = {  # where a part of the score is high, in words
    "peers": ("dove l'Italia esporta già molto", "where Italy already sells a lot"),
    "forecast": ("nei mercati che la previsione mette avanti", "in the markets the forecast puts ahead"),
    "unrealised": ("dove resta potenziale non sfruttato", "where potential is left unrealised"),
    "evidence": ("nei mercati citati dai rapporti sui distretti", "in the markets the district reports name"),
    "product": ("nei mercati che le fonti indicano per il prodotto", "in the markets sources name for the product"),
    "registry": ("dove le imprese registrate vendono già", "where registered firms already sell"),
}
REWEIGHTING_SHOWN_FROM = 0.05  # a re-weighting that moves the score by less than 5 % goes unsaid


def reweighting_reason(factor: float, weights: dict[str, float], parts: dict) -> tuple[str, str] | None:
    """What the sector's outcomes changed in how this market's score is weighed (``factor``: what
    δ does to its chance of a sale, the calibrated chance with δ over the one without; ``weights``:
    δ per part; ``parts``: the market's parts), naming the part that moved it most; None below ±5 %."""
    if abs(factor - 1.0) < REWEIGHTING_SHOWN_FROM:
        return None
    part = max(weights, key=lambda p: abs(weights[p] * float(parts.get(p, 0.0))))
    often_it, often_en = ("più", "more") if weights[part] > 0 else ("meno", "less")
    where_it, where_en = PART_PHRASES[part]
    it = (f"Esiti registrati nel settore: le imprese che hanno provato hanno venduto {often_it} spesso {where_it}; "
          f"probabilità di vendita stimata {_lift(factor, 'it')}.")
    en = (f"Recorded outcomes in the sector: the firms that tried sold {often_en} often {where_en}; "
          f"estimated chance of a sale {_lift(factor, 'en')}.")
    return it, en


def calibration_reason(factor: float) -> tuple[str, str] | None:
    """What recalibrating the score on the sector's recorded outcomes did to this market's score
    (``factor``: the calibrated chance of a sale over the score's own share of it, δ left out: a
    flatter calibration lifts the markets the score ranks low, a steeper one the first); None
    below ±5 %."""
    if abs(factor - 1.0) < REWEIGHTING_SHOWN_FROM:
        return None
    return (f"Esiti registrati nel settore: il punteggio è ricalibrato sulle vendite dopo il consiglio "
            f"(punteggio {_lift(factor, 'it')}).",
            f"Recorded outcomes in the sector: the score is recalibrated on the sales after the advice "
            f"(score {_lift(factor, 'en')}).")


EXPLORED_REASON = (
    "Proposto per esplorazione: ci sono ancora pochi esiti registrati per questo mercato, "
    "provarlo aiuta a capire se è promettente.",
    "Suggested to explore: few outcomes are recorded for this market yet; trying it shows whether it is promising.")
