"""Evidence that cuts against a market (issue #20): a cited source that names the market and, in
the same quote, says it fell is marked and said as such; the overlay that marks it is checked
against the quotes."""

import pandas as pd
import pytest

from recommender.data.builders.trends import apply_trends
from recommender.errors import DataError
from recommender.recommend import FirmProfile

CARPI = {"ateco": "14.39", "province": "MO", "district": "maglieria-di-carpi", "maturity_level": 2}


def test_a_falling_market_is_said_against_with_the_sources_words(rec):
    result = rec.recommend(FirmProfile.from_dict(CARPI), k=10)
    markets = {m["iso3"]: m for m in result["markets"]}
    netherlands = markets["NLD"]
    said = [r for r in netherlands["reasons"] if r.startswith("Segnale contrario")]
    assert said == ["Segnale contrario: la stessa fonte riporta un calo («il calo dell’Olanda», Export modenese: bene "
                    "piastrelle, maglieria e alimentare (TVQui, Monitor distretti Intesa Sanpaolo 3° trim. 2016), "
                    "2016)."]
    cite = next(c for c in netherlands["district_evidence"] if c["trend"] == "down")
    assert cite["trend_said"] in cite["quote"]
    # a market no cited source says fell gets no such sentence
    clean = [m for m in result["markets"]
             if not any(c.get("trend") == "down" for c in m["district_evidence"] + m["product_evidence"])]
    assert clean and not any(r.startswith("Segnale contrario") for m in clean for r in m["reasons"])
    english = rec.recommend(FirmProfile.from_dict(CARPI), k=10, lang="en")
    nld = next(m for m in english["markets"] if m["iso3"] == "NLD")
    assert any(r.startswith("Counter-signal: the same source reports a fall («il calo dell’Olanda»")
               for r in nld["reasons"])


def _rows():
    return pd.DataFrame({"product_family": ["wine", "wine"], "iso3": ["USA", "GBR"],
                         "source_url": ["https://example.org/a", "https://example.org/a"],
                         "quote": ["gli Stati Uniti, nonostante un calo del -5,7%", "il Regno Unito (+3%)"]})


def test_trend_overlay_marks_rows_and_refuses_words_not_in_the_quote(tmp_path):
    overlay = tmp_path / "trends.csv"
    overlay.write_text("table,name,iso3,source_url,trend,said\n"
                       'product,wine,USA,https://example.org/a,down,"nonostante un calo del -5,7%"\n')
    out = apply_trends(_rows(), "product", "product_family", overlay)
    assert out["trend"].tolist() == ["down", None] and out["trend_said"].tolist()[0] == "nonostante un calo del -5,7%"
    overlay.write_text("table,name,iso3,source_url,trend,said\n"
                       "product,wine,GBR,https://example.org/a,down,in calo del 9%\n")
    with pytest.raises(DataError, match="said must be words of the row's own quote"):
        apply_trends(_rows(), "product", "product_family", overlay)
    overlay.write_text("table,name,iso3,source_url,trend,said\n"
                       "product,wine,FRA,https://example.org/a,down,calo\n")
    with pytest.raises(DataError, match="no product destination row for wine / FRA"):
        apply_trends(_rows(), "product", "product_family", overlay)
    overlay.write_text("table,name,iso3,source_url,trend,said\nproduct,wine,USA,https://example.org/a,flat,calo\n")
    with pytest.raises(DataError, match="trend must be down or up"):
        apply_trends(_rows(), "product", "product_family", overlay)
    overlay.write_text("table,name,iso3,source_url,trend,said\n"
                       "product,wine,USA,https://example.org/a,down,nonostante un calo del -5,7%\n")  # unquoted comma
    with pytest.raises(DataError, match="malformed CSV"):
        apply_trends(_rows(), "product", "product_family", overlay)
