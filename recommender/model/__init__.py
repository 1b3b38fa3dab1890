"""Ranking metrics, the LightGBM ranker and the model artifact (versions, checksums, CURRENT)."""
