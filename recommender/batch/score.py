"""Score a chunk of registry rows into two Arrow tables: the compact results
(one row per firm and recommended market, :data:`RESULT_SCHEMA`) and the
errors (one row per rejected field, :data:`ERRORS_SCHEMA`).

Speed comes from sharing, not from a second scoring. The engine's compact
result (:meth:`Recommender.recommend_compact`) is made of pieces that depend
on few inputs, and each is computed once here and reused for every firm that
shares it: each distinct profile is validated once (:class:`RowChecker`); the
market ranking (:meth:`Recommender.ranking`: sector, district evidence,
customer type, excluded markets) is kept as Arrow rows; the level each market
needs (:meth:`Recommender.needs_levels`: languages), the channels
(:meth:`Recommender.channel_ids_for`: market, sector, customer type,
maturity) and the already-served markets as small tables. A chunk's output is
then a few vectorised lookups, using the engine's own rules for the horizon
(:func:`horizon_codes`) and the status (:func:`market_status_codes`). The tests check it
equals ``recommend`` row for row.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pyarrow as pa

from recommender import columns as C
from recommender.batch.rows import RowChecker
from recommender.batch.read import RawRow
from recommender.batch.schema import COMPACT_TYPES, ERRORS_SCHEMA, RESULT_SCHEMA
from recommender.errors import FieldError
from recommender.recommend import Recommender
from recommender.recommend.engine import COMPACT_FIELDS, STATUSES, market_status_codes
from recommender.recommend.readiness import HORIZONS, horizon_codes
from recommender.recommend.score import PARTS

if tuple(COMPACT_TYPES) != COMPACT_FIELDS:  # the schema module is kept free of the engine; keep them in step
    raise RuntimeError("recommender/batch/schema.py must list Recommender.recommend_compact's fields in order")
_RANKING_FIELDS = (C.RANK, C.MARKET, C.MARKET_NAME, C.SCORE, *PARTS, C.RESTRICTION)
RANKING_SCHEMA = pa.schema([(f, COMPACT_TYPES[f]) for f in _RANKING_FIELDS] + [("market_index", pa.int32())])


_HORIZONS = pa.array(HORIZONS, type=pa.string())
_STATUSES = pa.array(STATUSES, type=pa.string())
MAX_PLANS = 200_000  # distinct valid profiles remembered (a compact key and six integers each)


class Rankings:
    """The rankings of every distinct ranking input seen so far, as Arrow rows
    (plus each market's index in ``markets``): key -> (first row, number of
    rows). Cleared past ``max_rows`` rows, so memory stays bounded."""

    def __init__(self, markets: dict[str, int], max_rows: int = 500_000):
        self.markets, self.max_rows = markets, max_rows
        self.clear()

    def clear(self) -> None:
        self.where: dict[tuple, tuple[int, int]] = {}
        self._pending: list[tuple] = []
        self._table = RANKING_SCHEMA.empty_table()
        self.size = 0

    def add(self, key: tuple, ranking: tuple[tuple, ...]) -> tuple[int, int]:
        span = (self.size, len(ranking))
        self._pending.extend((*r, self.markets[r[1]]) for r in ranking)
        self.size += len(ranking)
        self.where[key] = span
        return span

    def table(self) -> pa.Table:
        """Every row added so far (new rows appended in one piece)."""
        if self._pending:
            columns = list(zip(*self._pending))
            new = pa.table([pa.array(c, type=f.type) for c, f in zip(columns, RANKING_SCHEMA)], schema=RANKING_SCHEMA)
            self._table = pa.concat_tables([self._table, new]).combine_chunks()
            self._pending = []
        return self._table


class _Ids:
    """Small integer ids for hashable values, id 0 first."""

    def __init__(self) -> None:
        self.ids: dict = {}
        self.values: list = []

    def __call__(self, value) -> tuple[int, bool]:
        i = self.ids.get(value)
        if i is not None:
            return i, False
        self.ids[value] = i = len(self.values)
        self.values.append(value)
        return i, True


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


class ChunkScorer:
    """Scores chunks of one file's rows with one recommender, k, language and Chamber view
    (``tenant``: the Chamber running the job, None for the shared view)."""

    def __init__(self, recommender: Recommender, header: list[str], list_separators: str, k: int, lang: str,
                 tenant: int | None = None):
        recommender.check_arguments(k, lang)
        self.rec, self.k, self.lang, self.tenant = recommender, k, lang, tenant
        self.version = recommender.model.version
        self.checker = RowChecker(header, list_separators)
        self.market_list = list(recommender.market_index)
        self.markets = {iso3: i for i, iso3 in enumerate(self.market_list)}
        self.rankings = Rankings(self.markets)
        self._reset()

    def _reset(self) -> None:
        """Forget what was shared so far (bounded memory)."""
        self.rankings.clear()
        self.plans: dict = {}  # profile key -> (start, length, languages, level, channels, served)
        self.languages, self.channel_keys, self.served_sets, self.gate_sets = _Ids(), _Ids(), _Ids(), _Ids()
        self.needs = np.zeros((0, len(self.market_list)), dtype=np.int8)
        self.served = np.zeros((0, len(self.market_list)), dtype=bool)
        # markets where the product must go through a registration or monopoly first: always "prepare"
        self.gated = np.zeros((0, len(self.market_list)), dtype=bool)
        self.channel_text: dict[int, str] = {}

    def _plan(self, profile) -> tuple:
        rec = self.rec
        key = rec.ranking_key(profile)
        span = self.rankings.where.get(key)
        if span is None:
            span = self.rankings.add(key, rec.ranking(profile, self.k, self.lang, self.tenant))
        lang_id, new = self.languages(profile.languages)
        if new:
            levels = rec.needs_levels(profile.languages)
            row = np.array([levels.get(m, 4) for m in self.market_list], dtype=np.int8)
            self.needs = np.vstack([self.needs, row])
        served_id, new = self.served_sets(profile.current_markets)
        if new:
            row = np.array([m in profile.current_markets for m in self.market_list], dtype=bool)
            self.served = np.vstack([self.served, row])
        channel_id, _ = self.channel_keys(rec.channel_key(profile))
        gates = rec.gated_markets(profile)
        gate_id, new = self.gate_sets(gates)
        if new:
            self.gated = np.vstack([self.gated, np.array([m in gates for m in self.market_list], dtype=bool)])
        return (*span, lang_id, profile.maturity.level, channel_id, served_id, gate_id)

    def score(self, rows: Iterable[RawRow]) -> tuple[pa.Table, pa.Table, int, int]:
        """(results, errors, good rows, rejected rows) of the rows, in input order."""
        if self.rankings.size >= self.rankings.max_rows or len(self.plans) >= MAX_PLANS:
            self._reset()
        lines, names, plans = [], [], []
        err_rows: list[tuple] = []
        rejected = 0
        known = self.plans
        checker = self.checker
        for line, cells, row_errors in rows:
            if not row_errors:  # a profile seen before: only the name is new
                plan = known.get(checker.key(cells))
                if plan is not None:
                    name = checker.name(cells)
                    if not checker.name_errors(name):
                        lines.append(line)
                        names.append(name)
                        plans.append(plan)
                        continue
            key, verdict = checker.check(cells, row_errors)
            name = checker.name(cells)
            if isinstance(verdict, list):
                rejected += 1
                err_rows.extend(self._error_rows(line, name, verdict))
                continue
            plan = known.get(key)
            if plan is None:
                plan = known[key] = self._plan(verdict)
            lines.append(line)
            names.append(name)
            plans.append(plan)
        return self._results(lines, names, plans), self._errors(err_rows), len(lines), rejected

    def _channels(self, pair: int) -> str:
        text = self.channel_text.get(pair)
        if text is None:
            key_id, market = divmod(pair, len(self.market_list))
            product, customer, level, yes, size = self.channel_keys.values[key_id]
            text = ";".join(self.rec.channel_ids_for(self.market_list[market], product, customer, level, yes, size))
            self.channel_text[pair] = text
        return text

    def _results(self, lines, names, plans) -> pa.Table:
        if not plans:
            return RESULT_SCHEMA.empty_table()
        starts, lengths, lang_ids, levels, channel_ids, served_ids, gate_ids = np.asarray(plans, dtype=np.int64).T
        total = int(lengths.sum())
        firm = np.repeat(np.arange(len(lengths)), lengths)  # the firm of each output row
        within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        ranked = self.rankings.table().take(pa.array(np.repeat(starts, lengths) + within))
        market = ranked.column("market_index").to_numpy()
        needs = self.needs[lang_ids[firm], market]
        pairs = channel_ids[firm] * len(self.market_list) + market
        unique, inverse = np.unique(pairs, return_inverse=True)
        channels = pa.array([self._channels(int(p)) for p in unique], type=pa.string())
        # text columns as Arrow takes of their few distinct values: no Python object per output row
        columns = {C.ROW: pa.array(np.asarray(lines, dtype=np.int64)[firm]),
                   C.NAME: pa.array(names, type=pa.string()).take(pa.array(firm)),
                   **{f: ranked.column(f) for f in _RANKING_FIELDS},
                   C.HORIZON: _HORIZONS.take(pa.array(np.where(self.gated[gate_ids[firm], market],
                                                                HORIZONS.index("prepare"),
                                                                horizon_codes(needs, levels[firm])).astype(np.int8))),
                   C.NEEDS_LEVEL: pa.array(needs, type=pa.int8()),
                   C.STATUS: _STATUSES.take(pa.array(market_status_codes(self.served[served_ids[firm], market]))),
                   C.CHANNELS: channels.take(pa.array(inverse.ravel())),
                   C.MODEL_VERSION: pa.array([self.version], type=pa.string()).take(
                       pa.array(np.zeros(total, dtype=np.int32)))}
        return pa.table([columns[f.name] for f in RESULT_SCHEMA], schema=RESULT_SCHEMA)

    @staticmethod
    def _error_rows(line: int, name: str, errors: list[FieldError]):
        for e in errors:
            yield (line, name, e.field, e.reason, _value_text(e.value), ";".join(e.suggestions))

    @staticmethod
    def _errors(rows: list[tuple]) -> pa.Table:
        if not rows:
            return ERRORS_SCHEMA.empty_table()
        return pa.table([pa.array(c, type=f.type) for c, f in zip(zip(*rows), ERRORS_SCHEMA)], schema=ERRORS_SCHEMA)
