"""Pure feature computation shared by training and serving."""

from recommender.features.market import FEATURES, FEATURE_MEANINGS, CATEGORICAL, build_query_rows

__all__ = ["FEATURES", "FEATURE_MEANINGS", "CATEGORICAL", "build_query_rows"]
