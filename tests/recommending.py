"""One firm's recommendation through the public library API, for the tests of the engine."""

from recommender.recommend import FirmProfile


def recommend(rec, k=10, lang="it", **profile):
    """``rec.recommend`` for a profile given as keyword fields (maturity level 2 unless given)."""
    profile.setdefault("maturity_level", 2)
    return rec.recommend(FirmProfile.from_dict(profile), k=k, lang=lang)
