"""The trend a destination's own source states, read from its quote: ``curated/destination_trends.csv``.

Public reports often name a district's or a product's main markets *and* say that one of them
fell ("la Germania (oltre 47 milioni) è in calo del 12,95%"). Such a row is evidence that the
market matters and, at the same time, that it cuts the other way. Each overlay row gives the
table (``district`` or ``product``), the row's name (district or product family), market and
source address, the ``trend`` (``down`` or ``up``) and ``said``: the words of the row's own
quote that state it (verbatim: checked here). Every destination row whose quote states a fall
is marked ``down`` (found by a search of all quotes for words of decline and signed figures,
each read); rises are marked where those same quotes state them, not elsewhere. Rows without
an overlay have no trend (``None``): the quote states none, or it was not read for one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from recommender.errors import DataError

TRENDS = Path(__file__).resolve().parent.parent / "curated" / "destination_trends.csv"
KEY = ("name", "iso3", "source_url")


def apply_trends(df: pd.DataFrame, table: str, name_column: str, path: Path = TRENDS) -> pd.DataFrame:
    """``df`` with ``trend`` and ``trend_said`` (None where no overlay row matches). Raises
    DataError for an overlay row of ``table`` that matches no row of ``df``, a trend other than
    down/up, or ``said`` not found in a matched row's quote."""
    with open(path, newline="", encoding="utf-8") as f:
        header, *lines = list(csv.reader(f))
    for line, fields in enumerate(lines, start=2):
        if len(fields) != len(header):  # an unquoted comma in "said" would shift every field after it
            raise DataError(path, f"malformed CSV: {len(fields)} fields, the header has {len(header)} "
                                  "(quote a field with a comma)", row=line)
    overlay = pd.DataFrame(lines, columns=header, dtype=str)
    mine = overlay[overlay["table"] == table]
    keys = df[name_column].astype(str) + "\x00" + df["iso3"].astype(str) + "\x00" + df["source_url"].astype(str)
    trend = pd.Series([None] * len(df), index=df.index, dtype=object)
    said = pd.Series([None] * len(df), index=df.index, dtype=object)
    for line, r in zip(mine.index + 2, mine.to_dict("records")):
        if r["trend"] not in ("down", "up"):
            raise DataError(path, f"trend must be down or up, not {r['trend']!r}", row=line, column="trend")
        hit = keys == f"{r['name']}\x00{r['iso3']}\x00{r['source_url']}"
        if not hit.any():
            raise DataError(path, f"no {table} destination row for {r['name']} / {r['iso3']} / {r['source_url']}",
                            row=line, column="name")
        for i in df.index[hit]:
            if r["said"] not in str(df.at[i, "quote"]):
                raise DataError(path, "said must be words of the row's own quote (verbatim)", row=line,
                                column="said")
        trend[hit], said[hit] = r["trend"], r["said"]
    return df.assign(trend=trend, trend_said=said)
