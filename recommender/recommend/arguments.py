"""The arguments of a recommendation besides the profile: how many markets (k)
and in which language. A module of its own, free of the engine's heavy
imports, so registry scoring can check them before starting any work."""

from __future__ import annotations

from recommender.errors import FieldError, InvalidInput

LANGUAGES = ("it", "en")
MAX_K = 30


def check_arguments(k, lang) -> None:
    """Raise InvalidInput unless 1 <= k <= 30 and lang is it or en."""
    if lang not in LANGUAGES:
        raise InvalidInput([FieldError("lang", "must be it or en", value=lang, suggestions=LANGUAGES)])
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise InvalidInput([FieldError("k", f"must be a whole number from 1 to {MAX_K}", value=k)])
