"""Pure feature computation shared by training and serving."""

from recommender.features.market import CATEGORICAL, FEATURE_MEANINGS, FEATURES, build_query_rows

__all__ = ["FEATURES", "FEATURE_MEANINGS", "CATEGORICAL", "build_query_rows"]
