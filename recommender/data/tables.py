"""Registry of the derived tables and the one way to read or write them.

Every table is validated against its pandera schema both when it is written
(by the build) and when it is read (by training, the library and the API), so
a corrupted or hand-edited file is caught with the file, row and column.

Writes are deterministic: the same frame always gives byte-identical files
(sorted rows, fixed column order, no timestamps in the payload).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.errors

from recommender import config
from recommender.errors import DataError


@dataclass(frozen=True)
class Table:
    """One derived table: file name under ``data/``, schema, sort key."""

    name: str
    filename: str
    schema: str                 # "module:ClassName" of a pandera DataFrameModel
    sort_by: tuple[str, ...]
    description: str

    @property
    def is_parquet(self) -> bool:
        return self.filename.endswith(".parquet")

    def schema_model(self):
        module, _, cls = self.schema.partition(":")
        return getattr(importlib.import_module(module), cls)


_S = "recommender.schemas"
TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table("countries", "countries.csv", f"{_S}.countries:CountrySchema", ("iso3",),
              "ICIO countries with membership, size, digital and logistics indicators and Italy-pair gravity"),
        Table("country_year", "country_year.csv", f"{_S}.countries:CountryYearSchema", ("iso3", "year"),
              "yearly GDP, population, GDP per capita PPP and internet use, per country"),
        Table("pairs", "pairs.csv", f"{_S}.countries:PairSchema", ("exporter", "importer"),
              "CEPII gravity variables for every ordered pair of model countries"),
        Table("flows", "flows.parquet", f"{_S}.flows:FlowSchema",
              ("source", "year", "exporter", "importer", "sector", "demand_type"),
              "bilateral sector flows by demand type (ICIO 2022, WIOD 1995-2011), USD millions"),
        Table("flows_fine", "flows_fine.parquet", f"{_S}.flows:FineFlowSchema",
              ("source", "year", "exporter", "importer", "sector", "demand_type"),
              "ICIO 2022 intermediate flows at ICIO's own goods sectors (C301, C24A, C21...), USD millions"),
        Table("esales", "esales.csv", f"{_S}.flows:ESalesSchema", ("geo", "size_class", "indicator", "year"),
              "Eurostat share of enterprises selling online, by channel, country and size class"),
        Table("sectors", "sectors.csv", f"{_S}.reference:SectorSchema", ("ateco_division",),
              "ATECO division to ICIO sector and model sector, Italian and English names"),
        Table("provinces", "provinces.csv", f"{_S}.reference:ProvinceSchema", ("sigla",),
              "the 107 Italian provinces with region and NUTS3"),
        Table("districts", "districts.csv", f"{_S}.reference:DistrictSchema", ("slug",),
              "Italian industrial districts: the 20 of Distretti sul web 2013 plus curated ones"),
        Table("district_destinations", "district_destinations.csv",
              f"{_S}.reference:DistrictDestinationSchema",
              ("district_name", "ateco_division", "year", "iso3", "source_url"),
              "foreign destinations named for Italian districts by public reports, with their citation"),
        Table("restricted_markets", "restricted_markets.csv", f"{_S}.reference:RestrictedMarketSchema", ("iso3",),
              "EU restrictive measures relevant to exporters (embargo or partial)"),
        Table("product_profiles", "product_profiles.csv", f"{_S}.reference:ProductProfileSchema",
              ("edition", "ateco_class", "subcategory"),
              "ATECO class (01-33) to product: HS codes, end use, product family, finest ICIO sector"),
        Table("product_destinations", "product_destinations.csv", f"{_S}.reference:ProductDestinationSchema",
              ("product_family", "year", "iso3", "source_url"),
              "foreign destinations public sources name for Italian products, with their citation"),
        Table("product_rules", "product_rules.csv", f"{_S}.reference:ProductRuleSchema",
              ("product_family", "iso3", "kind", "source_url"),
              "import bans and heavy requirements by product family and market, with source, quote and date"),
        Table("channels", "channels.csv", f"{_S}.channels:ChannelSchema", ("channel_id",),
              "catalogue of digital export channels: countries, product families, audience, maturity, cost, time"),
        Table("channel_rules", "channel_rules.csv", f"{_S}.channels:ChannelRuleSchema", ("channel_id", "family", "countries"),
              "product families a channel cannot carry in some markets (its seller rules), with the source"),
        Table("exchange_rates", "exchange_rates.csv", f"{_S}.reference:ExchangeRateSchema", ("year",),
              "ECB euro reference rate against the US dollar, mean of each complete year since 1999"),
    ]
}


def table_path(name: str, data_dir: Path | str | None = None) -> Path:
    return Path(data_dir or config.data_dir()) / TABLES[name].filename


def _line_of(df: pd.DataFrame, index_value) -> int | None:
    """1-based file line of a row label for frames read with a RangeIndex."""
    try:
        return int(index_value) + 2  # +1 for 0-based, +1 for the header line
    except (TypeError, ValueError):
        return None


def validate(df: pd.DataFrame, schema_model, path: Path | str) -> pd.DataFrame:
    """Validate ``df`` (read from ``path``) or raise :class:`DataError`.

    All failures are collected (``lazy=True``); the first names the row and
    column, the rest are listed in ``DataError.more``.
    """
    try:
        return schema_model.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        msgs = []
        first = None
        for rec in cases.head(50).to_dict("records"):
            idx = rec.get("index")
            line = _line_of(df, idx) if idx is not None and not pd.isna(idx) else None
            col = rec.get("column")
            col = None if col is None or (isinstance(col, float) and pd.isna(col)) else str(col)
            reason = f"{rec.get('check')} failed for value {rec.get('failure_case')!r}"
            msgs.append(f"line {line}, column {col}: {reason}")
            if first is None:
                first = (line, col, reason)
        line, col, reason = first or (None, None, str(exc))
        raise DataError(path, reason, row=line, column=col, more=msgs[1:]) from None
    except pandera.errors.SchemaError as exc:  # non-lazy path, defensive
        raise DataError(path, str(exc)) from None


def _string_columns(table: Table) -> dict[str, str]:
    """Columns the schema declares as strings are read as strings, so codes
    such as ATECO "01" or ISTAT "036" keep their leading zeros."""
    schema = table.schema_model().to_schema()
    return {name: "str" for name, col in schema.columns.items() if str(col.dtype).startswith(("str", "object"))}


@lru_cache(maxsize=32)
def _load_cached(path_str: str, mtime_ns: int, name: str) -> pd.DataFrame:
    table = TABLES[name]
    path = Path(path_str)
    try:
        if table.is_parquet:
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=_string_columns(table))
    except Exception as exc:  # parse errors carry the reason; say which file
        raise DataError(path, f"cannot be read: {exc}") from None
    return validate(df, table.schema_model(), path)


def optional_text(value) -> str:
    """A table's optional text cell as text: "" where it is empty (NaN or None)."""
    return value if isinstance(value, str) else ""


def load_table(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Read and validate one derived table. Cached per file version; callers
    get a copy-on-write frame and must not mutate it in place."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLES)}")
    path = table_path(name, data_dir)
    if not path.exists():
        raise DataError(path, "file not found (run `python -m recommender.data build`)")
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns, name)


def write_table(name: str, df: pd.DataFrame, data_dir: Path | str | None = None) -> Path:
    """Validate, sort and write a table atomically and deterministically."""
    table = TABLES[name]
    path = table_path(name, data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = df.sort_values(list(table.sort_by), kind="mergesort").reset_index(drop=True)
    df = validate(df, table.schema_model(), path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        if table.is_parquet:
            df.to_parquet(tmp, index=False, compression="zstd", compression_level=9)
        else:
            df.to_csv(tmp, index=False, lineterminator="\n")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
