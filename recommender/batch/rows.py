"""From a row's cells to a firm profile or the row's field errors: the one
validation of registry rows, shared by the CLI, the API's jobs and the API's
CSV batch upload.

The rules are :meth:`FirmProfile.from_dict`'s (every bad field, with its
reason and suggestions); this module only turns text cells into the profile's
shape (lists split, whole numbers read, the questionnaire's columns gathered
into ``maturity_answers``) and reports a cell over :data:`MAX_CELL` characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter

from recommender import columns as C
from recommender.batch.read import MAX_CELL
from recommender.errors import FieldError, InvalidInput
from recommender.maturity import QUESTION_IDS
from recommender.recommend.profile import FirmProfile, name_error

_QUESTIONS = frozenset(QUESTION_IDS)


@lru_cache(maxsize=16)
def _split_pattern(separators: str) -> re.Pattern:
    return re.compile("[" + re.escape(separators) + "]")


_QUESTION, _LIST, _INT, _TEXT = range(4)


@lru_cache(maxsize=64)
def _kinds(header: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((col, _QUESTION if col in _QUESTIONS else _LIST if col in C.INPUT_LIST_COLUMNS
                  else _INT if col in C.INPUT_INT_COLUMNS else _TEXT) for col in header)


def row_data(header: list[str], cells: list[str], list_separators: str) -> tuple[dict, list[FieldError]]:
    """The profile dict of a row's cells (empty cells left out) and its oversize-cell errors."""
    data: dict = {}
    errors: list[FieldError] = []
    for (col, kind), val in zip(_kinds(tuple(header)), cells):
        if not val or not (val := val.strip()):
            continue
        if len(val) > MAX_CELL:
            errors.append(FieldError(col, f"cell too long ({len(val)} characters, at most {MAX_CELL})"))
        elif kind == _QUESTION:
            data.setdefault("maturity_answers", {})[col] = val
        elif kind == _LIST:
            data[col] = [x.strip() for x in _split_pattern(list_separators).split(val) if x.strip()]
        elif kind == _INT and val.lstrip("+-").isdigit():
            data[col] = int(val)
        else:
            data[col] = val
    return data, errors


def check_row(header: list[str], cells: list[str], list_separators: str,
              errors: Sequence[FieldError] = ()) -> FirmProfile | list[FieldError]:
    """The row's profile, or every error of the row (its structural ``errors``,
    oversize cells, and every bad field of the profile)."""
    data, cell_errors = row_data(header, cells, list_separators)
    errors = [*errors, *cell_errors]
    if data or not errors:  # shape and meaning of every field, beside the row's own errors
        try:
            profile = FirmProfile.from_dict(data)
        except InvalidInput as exc:
            errors += exc.errors
        else:
            if not errors:
                return profile
    return errors


KEY_SEPARATOR = "\x1f"  # ASCII unit separator: joins a row's cells into one compact key


class RowChecker:
    """:func:`check_row` for the rows of one file, computed once per distinct
    profile: the firm name is the one cell that differs between most rows of a
    registry and it does not enter the profile's validation (its own rule,
    :func:`name_error`, is checked per row by :meth:`name_errors`). At most
    ``cache_size`` distinct profiles are remembered (bounded memory)."""

    def __init__(self, header: list[str], list_separators: str, cache_size: int = 20_000):
        self.header, self.list_separators, self.cache_size = header, list_separators, cache_size
        self.name_at = header.index(C.IN_NAME) if C.IN_NAME in header else None
        key_at = [i for i, h in enumerate(header) if h != C.IN_NAME]
        self.key_header = [header[i] for i in key_at]
        self._cells: Callable[[list[str]], list[str]]
        if len(key_at) < 2:
            self._cells = lambda cells: [cells[i] for i in key_at]
        else:
            pick = itemgetter(*key_at)
            self._cells = lambda cells: list(pick(cells))
        self._seen: dict[str | tuple, FirmProfile | list[FieldError]] = {}

    def key(self, cells: list[str]) -> str | tuple:
        """The row's cells but the name, as one string (or, should a cell hold the separator, a tuple)."""
        mine = self._cells(cells)
        joined = KEY_SEPARATOR.join(mine)
        return joined if joined.count(KEY_SEPARATOR) == len(mine) - 1 else tuple(mine)

    def name(self, cells: list[str]) -> str:
        return cells[self.name_at].strip() if self.name_at is not None else ""

    @staticmethod
    def name_errors(name: str) -> list[FieldError]:
        if not name:
            return []
        bad = (FieldError(C.IN_NAME, f"cell too long ({len(name)} characters, at most {MAX_CELL})")
               if len(name) > MAX_CELL else name_error(name))
        return [] if bad is None else [bad]

    def check(self, cells: list[str], errors: Sequence[FieldError] = ()) -> tuple[str | tuple | None,
                                                                            FirmProfile | list]:
        """(the row's profile key or None, its profile or its errors)."""
        if errors:  # a ragged or broken row: checked on its own, never cached
            return None, check_row(self.header, cells, self.list_separators, errors)
        key = self.key(cells)
        verdict = self._seen.get(key)
        if verdict is None:
            if len(self._seen) >= self.cache_size:
                self._seen.clear()
            verdict = check_row(self.key_header, self._cells(cells), self.list_separators)
            self._seen[key] = verdict
        bad = self.name_errors(self.name(cells))
        if bad:
            return key, bad + verdict if isinstance(verdict, list) else bad
        return key, verdict
