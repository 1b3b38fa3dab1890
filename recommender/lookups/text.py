"""Text normalisation and close-match suggestions shared by the lookups."""

from __future__ import annotations

import difflib
import re
import unicodedata


def norm(text: str) -> str:
    """Lower case, accents stripped, punctuation as single spaces: "Forlì-Cesena" -> "forli cesena"."""
    ascii_ = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", " ", ascii_).strip()


def suggest(value: str, candidates, n: int = 3, cutoff: float = 0.5) -> tuple[str, ...]:
    """Up to ``n`` distinct candidates closest to ``value`` (difflib ratio);
    if none passes ``cutoff``, the nearest ones anyway, so a user always gets
    something to try."""
    pool = list(dict.fromkeys(candidates))
    return tuple(difflib.get_close_matches(value, pool, n=n, cutoff=cutoff)
                 or difflib.get_close_matches(value, pool, n=n, cutoff=0.0))
