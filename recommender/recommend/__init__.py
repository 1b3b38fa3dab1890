"""Firm recommendations: which foreign markets, through which digital channels.

    from recommender.model.artifact import load_current
    from recommender.recommend import FirmProfile, Recommender

    rec = Recommender(load_current())
    result = rec.recommend(FirmProfile.from_dict({"ateco": "23.31", "province": "MO", "maturity_level": 2}))
"""

from recommender.recommend.engine import Recommender
from recommender.recommend.profile import FirmProfile

__all__ = ["FirmProfile", "Recommender"]
