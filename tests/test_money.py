"""Amounts in USD with their euro value at the ECB's yearly rate: the formatter's known
answers, the rates table built from the ECB's daily file, and the reasons that use it."""

import io
import re
import zipfile

import pandas as pd
import pytest

from recommender.data import load_table
from recommender.data.builders.exchange_rates import read_ecb_daily, yearly_means
from recommender.money import NO_RATES, EuroRates


@pytest.fixture(scope="module")
def rates():
    return EuroRates.from_table(pd.DataFrame([
        {"year": 2022, "usd_per_eur": 1.053, "days": 257, "source_title": "ECB", "source_url": "https://x",
         "data_url": "https://y", "quote": "2022-01-03,1.1355 … 2022-12-30,1.0666", "as_of": "2026-10-30"}]))


def test_amounts_carry_their_euro_value_at_the_year_s_rate(rates):
    assert rates.usd(4700, "it", 2022) == "4,7 mld USD (≈ 4,5 mld € al cambio medio BCE 2022)"
    assert rates.usd(4700, "en", 2022) == "USD 4.7 bn (≈ €4.5 bn at the ECB's 2022 average rate)"
    assert rates.usd(1234, "it", 2022) == "1,2 mld USD (≈ 1,2 mld € al cambio medio BCE 2022)"
    assert rates.usd(118, "it", 2022) == "118 mln USD (≈ 112 mln € al cambio medio BCE 2022)"
    assert rates.usd(1050, "en", 2022) == "USD 1.1 bn (≈ €997 m at the ECB's 2022 average rate)"


def test_a_year_without_a_rate_is_said_in_usd_only(rates):
    assert rates.usd(118, "it", 1995) == "118 mln USD"      # before the euro: never another year's rate
    assert rates.usd(118, "en", None) == "USD 118 m"
    assert NO_RATES.usd(2500, "it", 2022) == "2,5 mld USD"
    assert rates.to_dict(1995) is None
    assert rates.to_dict(2022)["usd_per_eur"] == 1.053 and rates.to_dict(2022)["days"] == 257


def _ecb_zip(lines: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("eurofxref-hist.csv", "Date,USD,JPY,\n" + "\n".join(lines) + "\n")
    return buf.getvalue()


def test_yearly_means_keep_complete_years_and_quote_their_ends():
    # test data: two complete years and a running one; "1" (parity) and "N/A" as the ECB writes them
    daily = read_ecb_daily(_ecb_zip([
        "2024-12-31,1.0389,163.06,", "2024-06-03,1.0900,170.00,", "2024-01-02,1.0956,155.65,",
        "2022-12-30,1.0666,140.66,", "2022-08-31,1,138.72,", "2022-01-03,1.1355,130.76,", "2022-04-15,N/A,N/A,",
        "2026-01-02,1.1700,184.00,", "2026-10-30,1.1172,175.68,"]))
    t = yearly_means(daily, as_of="2026-10-30").set_index("year")
    assert list(t.index) == [2022, 2024]                    # 2026 is not complete
    assert t.loc[2022, "usd_per_eur"] == round((1.0666 + 1 + 1.1355) / 3, 4) and t.loc[2022, "days"] == 3
    assert t.loc[2022, "quote"] == "2022-01-03,1.1355 … 2022-12-30,1.0666"
    assert t.loc[2024, "usd_per_eur"] == round((1.0389 + 1.09 + 1.0956) / 3, 4)


def test_the_shipped_table_matches_the_ecb_s_published_2022_average():
    t = load_table("exchange_rates").set_index("year")
    # the ECB states 1.0530 as the 2022 annual average of its USD reference rate
    assert t.loc[2022, "usd_per_eur"] == pytest.approx(1.0530, abs=5e-5) and t.loc[2022, "days"] == 257
    assert t.index.min() == 1999 and t.index.max() >= 2025 and t.index.is_unique
    assert (t["usd_per_eur"].between(0.8, 1.6)).all()


def _number(s: str) -> float:
    return float(s.replace(".", "").replace(",", "."))


def test_reasons_give_euro_beside_usd_and_the_answer_names_the_rate(rec):
    from recommender.recommend import FirmProfile
    out = rec.recommend(FirmProfile.from_dict({"ateco": "32.50", "province": "BL", "maturity_level": 2}),
                        k=5, lang="it")
    rate = out["exchange_rate"]
    assert rate["year"] == 2022 and rate["usd_per_eur"] == pytest.approx(1.053) and "ecb.europa.eu" in rate["source_url"]
    converted = 0
    for m in out["markets"]:
        for reason in m["reasons"]:
            for usd, unit_u, eur, unit_e, year in re.findall(
                    r"([\d.,]+) (mln|mld) USD \(≈ ([\d.,]+) (mln|mld) € al cambio medio BCE (\d{4})\)", reason):
                step_u, step_e = (100 if unit_u == "mld" else 1), (100 if unit_e == "mld" else 1)  # printed units
                scale_u, scale_e = (1000 if unit_u == "mld" else 1), (1000 if unit_e == "mld" else 1)
                assert int(year) >= 1999
                if year == "2022":
                    expected = _number(usd) * scale_u / 1.053
                    # both figures are rounded to their printed unit: half a unit each way, no more
                    assert abs(_number(eur) * scale_e - expected) <= step_u / 2 / 1.053 + step_e / 2 + 1e-9, reason
                    converted += 1
    assert converted >= 5  # peers and potential of every market at least
    en = rec.recommend(FirmProfile.from_dict({"ateco": "32.50", "province": "BL", "maturity_level": 2}),
                       k=1, lang="en")
    assert "at the ECB's 2022 average rate" in en["markets"][0]["reasons"][0]
