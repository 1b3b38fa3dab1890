"""Firm recommendations: which foreign markets, through which digital channels.

    from recommender.model.artifact import load_current
    from recommender.recommend import FirmProfile, Recommender

    rec = Recommender(load_current())
    result = rec.recommend(FirmProfile.from_dict({"ateco": "23.31", "province": "MO", "maturity_level": 2}))
"""

__all__ = ["FirmProfile", "Recommender"]


def __getattr__(name: str):
    """Imported on first use (PEP 562): light modules of this package, such as
    ``arguments``, stay importable without the engine's pandas and scipy."""
    if name == "Recommender":
        from recommender.recommend.engine import Recommender
        return Recommender
    if name == "FirmProfile":
        from recommender.recommend.profile import FirmProfile
        return FirmProfile
    raise AttributeError(name)
