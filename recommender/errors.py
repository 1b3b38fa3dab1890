"""Typed errors raised by the library.

Every error that is about user input names the *field* and the *reason*, and
offers *suggestions* when some are known, so that the CLI, the API and the web
page can all show the same precise message (the API turns them into RFC 9457
problem details with an ``errors`` list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class RecommenderError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One rejected input field: which one, why, and what would have worked."""

    field: str
    reason: str
    value: object = None
    suggestions: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        out: dict[str, object] = {"field": self.field, "reason": self.reason}
        if self.value is not None:
            out["value"] = self.value
        if self.suggestions:
            out["suggestions"] = list(self.suggestions)
        return out

    def __str__(self) -> str:
        hint = f" (did you mean: {', '.join(self.suggestions)})" if self.suggestions else ""
        return f"{self.field}: {self.reason}{hint}"


class LookupFailed(RecommenderError, LookupError):
    """A single value (ATECO code, province, district, country) did not resolve."""

    def __init__(self, error: FieldError):
        super().__init__(str(error))
        self.error = error

    @property
    def field(self) -> str:
        return self.error.field

    @property
    def suggestions(self) -> tuple[str, ...]:
        return self.error.suggestions


class InvalidInput(RecommenderError, ValueError):
    """One or more fields of a request are invalid; ``errors`` lists them all."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


class InputTooLarge(InvalidInput):
    """The input exceeds one of the reader's size limits (columns, header, line, archive):
    refused before it is parsed; the API answers 413. Each error names the limit."""


@dataclass
class DataError(RecommenderError):
    """A raw or derived data file is unusable: names the file, row and column.

    ``row`` is the 1-based line number in the file where it can be known
    (header = line 1), else ``None``.
    """

    path: Path | str
    reason: str
    row: int | None = None
    column: str | None = None
    more: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = str(self.path)
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        extra = f" (+{len(self.more)} more problems)" if self.more else ""
        return f"{where}: {self.reason}{extra}"


class ModelError(RecommenderError):
    """A model artifact is missing, tampered with, or inconsistent."""
