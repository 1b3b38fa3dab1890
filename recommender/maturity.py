"""Web maturity: a 1-4 level, or a 12-question yes/no questionnaire.

The questions follow the spirit of Eurostat's Digital Intensity Index (DII),
adapted to web presence and export readiness. Score = number of "yes";
levels as the DII: 0-3 very low (1), 4-6 low (2), 7-9 high (3), 10-12 very
high (4). Unanswered questions count as "not yet" for the score but are
reported in ``missing``, never silently assumed; with more than
``MAX_MISSING`` unanswered the questionnaire is rejected.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache

from recommender.errors import FieldError, InvalidInput


@dataclass(frozen=True)
class Question:
    id: str
    text_it: str
    text_en: str


QUESTIONS: tuple[Question, ...] = (
    Question("website", "L'impresa ha un sito web proprio?", "Does the firm have its own website?"),
    Question("site_foreign_language", "Il sito è in inglese o in un'altra lingua straniera?",
             "Is the site in English or another foreign language?"),
    Question("online_catalogue", "C'è un catalogo online con prezzi e foto?", "Is there an online catalogue with prices and photos?"),
    Question("sells_own_site", "Vende online dal proprio sito?", "Does it sell online from its own site?"),
    Question("sells_marketplaces", "Vende su marketplace (Amazon, eBay, ...)?", "Does it sell on marketplaces (Amazon, eBay, ...)?"),
    Question("social_accounts", "Ha account social aziendali attivi?", "Does it have active business social media accounts?"),
    Question("paid_ads", "Fa pubblicità a pagamento su motori di ricerca o social?", "Does it run paid search or social ads?"),
    Question("web_analytics", "Usa strumenti di web analytics?", "Does it use web analytics?"),
    Question("online_payments", "Accetta pagamenti online?", "Does it accept online payments?"),
    Question("crm_email", "Usa un CRM o l'e-mail marketing?", "Does it use a CRM or e-mail marketing?"),
    Question("ships_abroad", "Spedisce pacchi all'estero?", "Does it ship parcels abroad?"),
    Question("foreign_language_staff", "Ha personale che serve clienti stranieri?", "Does it have staff who serve foreign customers?"),
)
QUESTION_IDS: tuple[str, ...] = tuple(q.id for q in QUESTIONS)
LABELS = {1: ("molto bassa", "very low"), 2: ("bassa", "low"), 3: ("alta", "high"), 4: ("molto alta", "very high")}
MAX_MISSING = 6
_YES = {"true", "yes", "y", "si", "sì", "1"}
_NO = {"false", "no", "n", "0"}


@dataclass(frozen=True)
class Maturity:
    level: int                                     # 1-4
    score: int | None                              # 0-12, None when only a level was given
    source: str                                    # "level" | "questionnaire"
    answers: dict = field(default_factory=dict)    # question id -> bool (answered only)
    missing: tuple[str, ...] = ()

    @property
    def label_it(self) -> str:
        return LABELS[self.level][0]

    @property
    def label_en(self) -> str:
        return LABELS[self.level][1]

    def has(self, capability: str) -> bool | None:
        """True/False if answered, None if unknown (level only, or unanswered)."""
        return self.answers.get(capability)


# level -> (lowest, highest) number of "yes" out of 12, the DII bands of the module docstring
LEVEL_BANDS: dict[int, tuple[int, int]] = {1: (0, 3), 2: (4, 6), 3: (7, 9), 4: (10, 12)}


def level_of_score(score: int) -> int:
    return next(level for level, (low, high) in LEVEL_BANDS.items() if low <= score <= high)


def yes_to_next_level(score: int) -> int | None:
    """How many more "yes" answers reach the next level; None at the top level."""
    level = level_of_score(score)
    return LEVEL_BANDS[level + 1][0] - score if level < 4 else None


def _as_bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _YES:
            return True
        if v in _NO:
            return False
    return None


def assess(level=None, answers: dict | None = None) -> Maturity:
    """A :class:`Maturity` from a level 1-4 or from questionnaire answers (exactly one)."""
    if level is not None and answers:
        raise InvalidInput([FieldError("maturity_level", "give either maturity_level or maturity_answers, not both")])
    if level is None and not answers:
        raise InvalidInput([FieldError("maturity_level", "web maturity is required: maturity_level 1-4 or maturity_answers")])
    if level is not None:
        if isinstance(level, (int, str)) and not isinstance(level, bool):
            return _level_only(level)  # a registry repeats four levels: one Maturity each
        return _level_only.__wrapped__(level)
    return _questionnaire(answers)


@lru_cache(maxsize=256)
def _level_only(level) -> Maturity:
    """A Maturity from a level 1-4 alone (immutable, so shared)."""
    try:
        lv = int(level)
        if isinstance(level, bool) or str(level).strip() != str(lv) or not 1 <= lv <= 4:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput([FieldError("maturity_level", "must be a whole number from 1 (very low) to 4 (very high)",
                                       value=level)]) from None
    return Maturity(level=lv, score=None, source="level")


def _questionnaire(answers) -> Maturity:
    if not isinstance(answers, dict):
        raise InvalidInput([FieldError("maturity_answers", "must be an object of question id -> yes/no")])
    errors, parsed = [], {}
    for key, value in answers.items():
        if key not in QUESTION_IDS:
            errors.append(FieldError(f"maturity_answers.{key}", "unknown question", value=None,
                                     suggestions=tuple(difflib.get_close_matches(str(key), QUESTION_IDS, n=3))))
            continue
        if value is None:
            continue  # explicitly unanswered
        b = _as_bool(value)
        if b is None:
            errors.append(FieldError(f"maturity_answers.{key}", "must be yes/no (true/false, si/no, 1/0)", value=value))
        else:
            parsed[key] = b
    missing = tuple(q for q in QUESTION_IDS if q not in parsed)
    if not errors and len(missing) > MAX_MISSING:
        errors.append(FieldError("maturity_answers", f"{len(missing)} of 12 questions unanswered (at most {MAX_MISSING})",
                                 suggestions=missing[:3]))
    if errors:
        raise InvalidInput(errors)
    score = sum(parsed.values())
    return Maturity(level=level_of_score(score), score=score, source="questionnaire", answers=parsed, missing=missing)
